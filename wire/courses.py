"""Course events (server/courses/).

Client -> server intents:
  my_course  {}   a participant (not in a room: any time): ack {course: {id, title, sessions} | null,
                  group: {id, name} | null, timezone, position: {held, total, next} | null,
                  next: {number, title, review, starts, ends (ISO 8601 with the offset), minutes,
                         scenarios: [{id, title, difficulty, suggested?: {difficulty, from, reason}}]} | null,
                  homework: {text, run} | null (the homework last set), homework_done: {done, partly, not_yet}}
                  `suggested`: the course's progression rule's difficulty for this participant's next role-play of
                  that scenario; they (or their peer specialist) may choose another in scenario_start.
HTTP: GET /api/me/course.ics (Bearer token or the dashboard cookie): the group's sessions still to come,
      iCalendar (RFC 5545), times in UTC.
"""

from __future__ import annotations

from .messages import MAX_ID, Field, define, text
from .scenario import DIFFICULTIES

MY_COURSE = "my_course"

define(MY_COURSE)

# --- group practice (server/courses/group.py; docs/courses.md "Group practice") ------------------------------
#   group_practice_start {scenario, difficulty?, group?}   staff in the room: a practice run for the participants
#                          here (and, with `group`, that course group's members who come in later): turns rotate
#                          through them in the order they are listed, one role-play run each. ack {practice view}
#   group_reverse  {player}   staff: the next turn is reversed: its participant plays the partner (the partner's
#                          cast role is theirs for that turn) and `player` (another participant here, or the
#                          staff member themselves) answers as the learner. player 0: no reversal.
#   group_next     {}       staff, while the others give feedback: start the next turn now
#   group_feedback {step?, text?, skip?}   a participant who watched the turn: one thing that went well (a skill
#                          step's id, own words, or both), or skip: true
#   group_practice_stop {}  staff: end the group practice (the turn running now is stopped)
# Server -> client:
#   group_turn     {room, scenario, title, stage: turn|feedback|ended, turn: {number, learner: {id, name},
#                   player: {id, name}, reversed, run} | null, order: [{id, name, status: done|now|next|skipped}],
#                   ask: {learner, steps: [{id, text}]} | null}   to everyone in the room; `ask` only to those
#                   asked for peer feedback now
#   peer_feedback  {run, learner: {id, name}, from, step?, step_text?, text?}   to the learner and staff here
GROUP_PRACTICE_START = "group_practice_start"
GROUP_REVERSE = "group_reverse"
GROUP_NEXT = "group_next"
GROUP_FEEDBACK = "group_feedback"
GROUP_PRACTICE_STOP = "group_practice_stop"
GROUP_TURN = "group_turn"
PEER_FEEDBACK = "peer_feedback"
GROUP_STAGES = ("turn", "feedback", "ended")
MAX_PEER_FEEDBACK = 300

define(
    GROUP_PRACTICE_START,
    scenario=text(MAX_ID),
    difficulty=Field(str, choices=DIFFICULTIES, required=False, default="easy"),
    group=Field(int, required=False, lo=1, hi=2**31),
)
define(GROUP_REVERSE, player=Field(int, lo=0, hi=2**31))
define(GROUP_NEXT)
define(
    GROUP_FEEDBACK,
    step=text(MAX_ID, required=False),
    text=text(MAX_PEER_FEEDBACK, required=False, visible=True),
    skip=Field(bool, required=False, default=False),
)
define(GROUP_PRACTICE_STOP)
