"""A course run's schedule: dated sessions in the group's time zone, where the group is now, and the iCalendar
(RFC 5545) export of the sessions still to come."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wire.errors import WireError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # how a session's local start is stored


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise WireError("invalid", f"'{name[:64]}' is not a time zone; write one like Europe/London.") from None


def plan(first_day: str, at: str, weekdays: Sequence[str], count: int) -> list[str]:
    """`count` local session starts ('YYYY-MM-DDTHH:MM'): from `first_day` on, on each of `weekdays`, at `at`."""
    try:
        day = dt.date.fromisoformat(first_day)
    except ValueError:
        raise WireError("invalid", "Write the first day as YYYY-MM-DD, e.g. 2027-01-11.") from None
    try:
        time = dt.time.fromisoformat(at)
    except ValueError:
        raise WireError("invalid", "Write the time as HH:MM, e.g. 18:00.") from None
    days = {WEEKDAYS.index(d) for d in weekdays if d in WEEKDAYS}
    if not days or len(days) != len(set(weekdays)):
        raise WireError("invalid", "Name the weekdays as " + ", ".join(WEEKDAYS) + ", e.g. mon,thu.")
    out: list[str] = []
    while len(out) < count:
        if day.weekday() in days:
            out.append(dt.datetime.combine(day, time).strftime(LOCAL_FORMAT))
        day += dt.timedelta(days=1)
    return out


def starts_at(local: str, tz: str) -> dt.datetime:
    """A stored local start as an aware datetime in the run's time zone."""
    return dt.datetime.strptime(local, LOCAL_FORMAT).replace(tzinfo=zone(tz))


def position(sessions: list[dict[str, Any]], tz: str, now: dt.datetime) -> dict[str, Any]:
    """Where a group is in its course at `now`: sessions held, and the next (or current) session's number."""
    held = 0
    upcoming = None
    for s in sessions:
        start = starts_at(s["starts"], tz)
        if start + dt.timedelta(minutes=s["minutes"]) <= now:
            held += 1
        elif upcoming is None:
            upcoming = s["number"]
    return {"held": held, "total": len(sessions), "next": upcoming}


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _fold(line: str) -> list[str]:
    """RFC 5545 3.1: lines of at most 75 octets; a continuation line starts with one space."""
    out: list[str] = []
    data = line.encode("utf-8")
    limit = 75
    while len(data) > limit:
        cut = limit
        while (data[cut] & 0xC0) == 0x80:  # never inside a UTF-8 character
            cut -= 1
        out.append(data[:cut].decode("utf-8"))
        data = data[cut:]
        limit = 74  # the leading space counts
    out.append(data.decode("utf-8"))
    return [out[0], *(" " + part for part in out[1:])]


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def ical(events: list[dict[str, Any]], stamp: dt.datetime, calendar_name: str) -> str:
    """An iCalendar file: one VEVENT per event {uid, start (aware), minutes, summary, description}. Times are UTC,
    so the file needs no VTIMEZONE and every calendar shows them in its own zone."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//peerspace//courses//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(calendar_name)}",
    ]
    for e in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{e['uid']}",
            f"DTSTAMP:{_utc(stamp)}",
            f"DTSTART:{_utc(e['start'])}",
            f"DTEND:{_utc(e['start'] + dt.timedelta(minutes=e['minutes']))}",
            f"SUMMARY:{_escape(e['summary'])}",
            f"DESCRIPTION:{_escape(e['description'])}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(part + "\r\n" for line in lines for part in _fold(line))
