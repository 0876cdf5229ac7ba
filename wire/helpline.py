"""The private help line: a participant asks to talk to someone, 1:1, outside the room's chat.

A participant opens it (`help_request`) from anywhere: in a room, in the quiet room, between rooms.
On-duty staff are told (`help_requested`); one of them joins (`help_accept`). Lines (`help_say`)
go to the two of them only (`help_line`), never to a room. The conversation is a safety record:
the participant agrees to its own consent text (`help_agree`) before their first line. Either
side ends it (`help_close`). What happens next is told with `help_status`. See docs/safety.md.
"""

from __future__ import annotations

from .messages import MAX_TEXT, Field, define, text

# --- client -> server ------------------------------------------------------------
HELP_REQUEST = "help_request"  # participant: "I'd like to talk to someone"
HELP_AGREE = "help_agree"  # participant: I have read the consent text; my lines may be kept as a safety record
HELP_ACCEPT = "help_accept"  # staff: I join this request's channel
HELP_SAY = "help_say"  # either side: a line in the channel
HELP_CLOSE = "help_close"  # either side: end the conversation

# --- server -> client ------------------------------------------------------------
HELP_REQUESTED = "help_requested"  # to on-duty staff: someone asks to talk to a person
HELP_LINE = "help_line"  # to the two people in the channel only
HELP_STATUS = "help_status"  # the channel's state changed: joined, taken (by another staff member), closed

MAX_CHANNEL = 32  # a channel id is a short random token

_channel = Field(str, max_len=MAX_CHANNEL)

define(HELP_REQUEST)
define(HELP_AGREE, channel=_channel)
define(HELP_ACCEPT, channel=_channel)
define(HELP_SAY, channel=_channel, text=text(MAX_TEXT, visible=True))
define(HELP_CLOSE, channel=_channel)
