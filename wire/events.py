"""Event names and roles: the vocabulary of the protocol.

Client -> server events are *intents*: the server validates them (schema,
role, rate) and decides what happens. Server -> client events are results.
"""

# --- roles -----------------------------------------------------------------
PARTICIPANT = "participant"
PEER_SPECIALIST = "peer_specialist"
FACILITATOR = "facilitator"
ADMIN = "admin"
AGENT = "agent"  # an autonomous avatar driver speaking the peer specialist's protocol
ROLES = (PARTICIPANT, PEER_SPECIALIST, FACILITATOR, ADMIN, AGENT)
# Roles that may puppet cast avatars (coach, role-play partners).
PUPPETEERS = (PEER_SPECIALIST, FACILITATOR, ADMIN, AGENT)
# Roles that run groups: create rooms, moderate.
STAFF = (PEER_SPECIALIST, FACILITATOR, ADMIN)

# --- client -> server --------------------------------------------------------
HELLO = "hello"  # first call after connecting: protocol check, resume
CONSENT = "consent"  # agree (or stop agreeing) to your lines being recorded
LIST_ROOMS = "list_rooms"
CREATE_ROOM = "create_room"
JOIN = "join"
LEAVE = "leave"
MOVE = "move"  # held input axes; the server integrates them each tick
LOOK = "look"  # set yaw directly, or face another avatar (gaze)
SAY = "say"
EXPRESSION = "expression"
GESTURE = "gesture"

# --- server -> client --------------------------------------------------------
WELCOME = "welcome"  # after connect: who you are, protocol version, resumed?
ROOM_STATE = "room_state"  # full state of the room you are in (join, resume, resync)
SNAPSHOT = "snap"  # one quantised pose delta per room per tick
MEMBER_JOINED = "member_joined"
MEMBER_LEFT = "member_left"
MEMBER_UPDATED = "member_updated"  # expression, gesture, presence (away/back)
SAID = "said"
NOTICE = "notice"  # a calm, human message from the server
ERROR = "error"

EXPRESSIONS = ("neutral", "happy", "sad", "angry", "surprised", "afraid", "disgusted")
GESTURES = ("none", "wave", "nod", "shake_head", "point", "shrug", "thumbs_up")
SCENES = ("cafe", "office", "park")
