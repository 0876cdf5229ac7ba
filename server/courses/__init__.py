"""Courses (issue #16): course files (schema, lint, loading), a group's course run and its schedule, the
participant's next session and its iCalendar export, homework follow-up, self-ratings and the progression rule,
and fidelity of delivery kept apart from progress."""
