"""Voice: packets of 20 ms Opus frames relayed to the others in your room, never recorded or stored.

Client -> server (sent with `emit`, no ack; a refusal comes back as an `error` event naming `voice`):
  voice   {seq, frames, as_role?}  a packet of 1..MAX_PACKET_FRAMES Opus frames (48 kHz mono, 20 ms each), in
                                   order; a client sends PACKET_FRAMES (40 ms) at a time, and what it holds at
                                   once when you stop talking. seq is the first frame's number (frames count
                                   on, wrapping at SEQ_LIMIT); as_role: speak as the cast role you hold (a peer
                                   specialist voicing a character) instead of as yourself. At most MAX_FRAME
                                   bytes per frame and FRAME_RATE frames (not packets) a second (burst
                                   FRAME_BURST), on a budget of its own, apart from other intents. Refused
                                   (forbidden) while you are muted or taking a pause, and for a cast role you
                                   do not hold.

Server -> client:
  voiced  {avatar, seq, frames, driver}  a packet to play as `avatar`'s voice, frame `seq + i` at frames[i].
                                   driver: null when the avatar's own person speaks; "teleop" when a person (a
                                   peer specialist) voices a cast avatar, "agent" for a program. The server
                                   sends it only to people who may hear that avatar: same room, not blocked
                                   either way, not taking a pause.
"""

from __future__ import annotations

from .messages import MAX_ID, Field, define, text

VOICE = "voice"
VOICED = "voiced"

SEQ_LIMIT = 2**31
MAX_FRAME = 400  # bytes: 160 kbit/s of Opus in 20 ms, far above speech at 24 kbit/s (~60 bytes)
FRAME_RATE = 55.0  # frames a second sustained: 50 for 20 ms frames, with room for a sender's timer jitter
FRAME_BURST = 25.0  # frames sent at once after a stall (half a second)
# Frames per packet. Each message costs the server a receive, a relay emit and a send per hearer, and every
# member a parse, whatever its size (~60 bytes of Opus); two frames a packet halve those counts for 20 ms
# more delay (40 ms packets, a common VoIP packet time). A packet may carry fewer (the end of a talk burst).
PACKET_FRAMES = 2
MAX_PACKET_FRAMES = PACKET_FRAMES

define(
    VOICE,
    seq=Field(int, lo=0, hi=SEQ_LIMIT - 1),
    frames=Field(list, min_len=1, max_len=MAX_PACKET_FRAMES, items=Field(bytes, max_len=MAX_FRAME)),
    as_role=text(MAX_ID, required=False),
)
