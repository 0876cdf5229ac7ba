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

from .messages import define

MY_COURSE = "my_course"

define(MY_COURSE)
