"""The peerspace desktop client (Panda3D) and the headless network session it shares with bots."""
