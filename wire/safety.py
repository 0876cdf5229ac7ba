"""Safety, consent, records and replay: event names and schemas.

Moderation is decided on the server: a client asks (block, report, pause,
or for staff: mute, kick) and the server enforces it for everyone. Avatars
are named by their id in the current room (`avatar`); people who are not in
the room (an unblock) are named by their user id (`user`).
"""

from __future__ import annotations

from .messages import MAX_ID, MAX_TEXT, Field, avatar_ref, define, text

# --- client -> server ------------------------------------------------------------
BLOCK = "block"  # stop seeing/hearing someone, both directions, durable
UNBLOCK = "unblock"
BLOCKS = "blocks"  # who have I blocked?
MUTE = "mute"  # staff: stop someone's chat in this room
KICK = "kick"  # staff: remove someone from the room; optional durable ban
REPORT = "report"  # tell staff about something that is not OK
PAUSE = "pause"  # participant: step out to a calm private room, or come back
BUBBLE = "bubble"  # a wider personal-space bubble around you
SAFETY_INFO = "safety_info"  # what is monitored, the support resources, my consent
TAG_STEP = "tag_step"  # staff: tag that an SST protocol step happened in this session
QUESTIONNAIRES = "questionnaires"  # the self-report questionnaires
ANSWER_QUESTIONNAIRE = "answer_questionnaire"
REPLAY = "replay"  # staff: fetch a recorded session's pose track and lines
DUTY = "duty"  # staff: go on or off duty (being logged in is not enough to be told of alerts)
ALERT_ACK = "alert_ack"  # staff: I have seen this alert (the key a live safety_alert carries)

# --- server -> client ------------------------------------------------------------
SAFETY_ALERT = "safety_alert"  # to staff: crisis language or a report, at once
PAUSED = "paused"  # to the paused person: you are in the calm room (or back)
MONITORING = "monitoring"  # on joining a room: what is monitored, and whether you are recorded (a bool)
DUTY_STATUS = "duty_status"  # to participants: who from the team is on duty now, in words (on join, on change)
ALERT_SEEN = "alert_seen"  # to the person an alert is about: someone from the team has seen it

REPORT_REASONS = ("harassment", "unsafe", "upsetting", "spam", "other")
SST_STEPS = (
    "rationale",
    "skill_steps",
    "modelling",
    "role_play",
    "positive_feedback",
    "corrective_feedback",
    "repeat_role_play",
    "more_feedback",
    "homework",
)
WHEN = ("pre", "post")
MAX_BAN_MINUTES = 60 * 24 * 365

define(BLOCK, avatar=avatar_ref(required=True))
define(UNBLOCK, user=Field(int, lo=1, hi=2**62))
define(BLOCKS)
define(
    MUTE,
    avatar=avatar_ref(required=True),
    on=Field(bool, required=False, default=True),
    minutes=Field(int, required=False, lo=1, hi=24 * 60, default=30),
)
define(
    KICK, avatar=avatar_ref(required=True), ban_minutes=Field(int, required=False, lo=0, hi=MAX_BAN_MINUTES, default=0)
)
define(REPORT, avatar=avatar_ref(), reason=Field(str, choices=REPORT_REASONS), note=text(MAX_TEXT, required=False))
define(PAUSE, on=Field(bool))
define(BUBBLE, on=Field(bool), radius=Field((int, float), required=False, lo=0.6, hi=3.0, default=1.5))
define(SAFETY_INFO)
define(TAG_STEP, step=Field(str, choices=SST_STEPS), run=Field(int, required=False, lo=1, hi=2**62))
define(QUESTIONNAIRES)
define(
    ANSWER_QUESTIONNAIRE,
    questionnaire=text(MAX_ID),
    when=Field(str, choices=WHEN),
    answers=Field(dict, max_len=40),
    run=Field(int, required=False, lo=1, hi=2**62),
)
define(
    REPLAY,
    run=Field(int, lo=1, hi=2**62),
    after=Field((int, float), required=False, lo=0, hi=1e12),
    limit=Field(int, required=False, lo=1, hi=2000, default=500),
)
define(DUTY, on=Field(bool))
# `alert`: the key a live safety_alert carried; `id`: an alert's row id (duty's `waiting` list, the dashboard)
define(ALERT_ACK, alert=text(MAX_ID, required=False), id=Field(int, required=False, lo=1, hi=2**62))
