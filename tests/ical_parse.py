"""A strict reader of the iCalendar files the server writes (RFC 5545, the parts it uses), for tests: CRLF line
ends, lines of at most 75 octets, unfolding, properties and their escapes, components that open and close."""

from __future__ import annotations

import datetime as dt
import re

NAME = re.compile(r"^[A-Z][A-Z0-9-]*$")


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def parse(text: str) -> dict:
    """{'VCALENDAR': {props}, 'VEVENT': [{props}...]}; raises AssertionError on anything out of the RFC."""
    assert text.endswith("\r\n"), "the file ends with CRLF"
    raw = text[:-2].split("\r\n")
    assert all("\n" not in line and "\r" not in line for line in raw), "every line ends with CRLF"
    assert all(len(line.encode("utf-8")) <= 75 for line in raw), "lines are folded at 75 octets"
    lines: list[str] = []
    for line in raw:
        if line.startswith((" ", "\t")):
            assert lines, "a continuation line follows a line"
            lines[-1] += line[1:]
        else:
            lines.append(line)
    stack: list[tuple[str, dict]] = []
    calendar: dict = {}
    found: dict = {"VCALENDAR": calendar, "VEVENT": []}
    for line in lines:
        head, sep, value = line.partition(":")
        assert sep, f"a property has a value: {line!r}"
        name = head.split(";")[0]
        assert NAME.match(name), f"a property name: {name!r}"
        if name == "BEGIN":
            props: dict = calendar if value == "VCALENDAR" else {}
            if value == "VEVENT":
                found["VEVENT"].append(props)
            stack.append((value, props))
        elif name == "END":
            assert stack and stack[-1][0] == value, f"END:{value} closes what was opened"
            stack.pop()
        else:
            assert stack, "a property sits inside a component"
            stack[-1][1][name] = unescape(value)
    assert not stack, "every component is closed"
    assert calendar.get("VERSION") == "2.0" and calendar.get("PRODID")
    for event in found["VEVENT"]:
        assert {"UID", "DTSTAMP", "DTSTART"} <= set(event), event
    return found


def utc(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
