"""Voice: 20 ms Opus frames relayed to the others in your room, never recorded or stored.

Client -> server (sent with `emit`, no ack; a refusal comes back as an `error` event naming `voice`):
  voice   {seq, data, as_role?}    one Opus frame (48 kHz mono, 20 ms). seq counts your frames (wraps at
                                   SEQ_LIMIT); as_role: speak as the cast role you hold (a peer specialist
                                   voicing a character) instead of as yourself. At most MAX_FRAME bytes per
                                   frame and FRAME_RATE frames a second (burst FRAME_BURST), on a budget of
                                   its own, apart from other intents. Refused (forbidden) while you are muted
                                   or taking a pause, and for a cast role you do not hold.

Server -> client:
  voiced  {avatar, seq, data, driver}   a frame to play as `avatar`'s voice. driver: null when the avatar's own
                                   person speaks; "teleop" when a person (a peer specialist) voices a cast
                                   avatar, "agent" for a program. The server sends it only to people who may
                                   hear that avatar: same room, not blocked either way, not taking a pause.
"""

from __future__ import annotations

from .messages import MAX_ID, Field, define, text

VOICE = "voice"
VOICED = "voiced"

SEQ_LIMIT = 2**31
MAX_FRAME = 400  # bytes: 160 kbit/s of Opus in 20 ms, far above speech at 24 kbit/s (~60 bytes)
FRAME_RATE = 55.0  # frames a second sustained: 50 for 20 ms frames, with room for a sender's timer jitter
FRAME_BURST = 25.0  # frames sent at once after a stall (half a second)

define(
    VOICE,
    seq=Field(int, lo=0, hi=SEQ_LIMIT - 1),
    data=Field(bytes, max_len=MAX_FRAME),
    as_role=text(MAX_ID, required=False),
)
