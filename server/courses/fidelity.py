"""Fidelity of delivery: how a session was delivered, kept apart from the participant's progress.

Per run, from its events: for each protocol phase, whether its cast lines were said by a person (a peer
specialist or other staff member driving the cast avatar: the `said` event's user) or by a program (the built-in
driver, or an agent account); of a person's lines, how many were palette lines (`verbatim`: the cue as written) and
how many their own words; and whether the homework was reviewed. Nothing here reads what anyone said.

Peer-specific items (PEER_ITEMS) are rated by the specialist or a supervisor on the dashboard after a session; the
items follow published peer-support fidelity measures (docs/courses.md cites them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wire import events as ev

from ..dashboard.i18n import N_

# Rated 0 (not at all) .. 4 (fully), after a session, on the supervision page (which shows them in the staff
# member's language: N_ marks them for the dashboard's catalog).
PEER_ITEMS = {
    "shared_experience": N_("Shared own recovery experience where it fitted, briefly and for the participant's sake"),
    "conveyed_hope": N_("Conveyed hope that recovery and change are possible"),
    "followed_lead": N_("Followed the participant's lead (their goals, their words, their pace)"),
    "within_role": N_("Stayed within the peer role (no diagnosing or prescribing; mutuality, not authority)"),
}
PEER_ITEM_MAX = 4
PERSON, PROGRAM = "person", "program"


def delivery(events: list[dict[str, Any]], role_of: Callable[[int], str | None]) -> dict[str, Any]:
    """How one run was delivered. `role_of(user_id)`: a user's role (None for a deleted account)."""
    phase: str | None = None
    phases: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    people: set[int] = set()
    verbatim = own = 0
    for e in events:
        data = e.get("data") or {}
        if e["kind"] == "phase":
            phase = str(data.get("phase"))
            if phase not in phases:
                phases[phase] = {"phase": phase, "kind": data.get("kind"), PERSON: 0, PROGRAM: 0}
                order.append(phase)
        elif e["kind"] == "said" and "cast" in data and phase is not None:
            uid = e.get("user_id")
            person = isinstance(uid, int) and role_of(uid) in ev.STAFF
            phases[phase][PERSON if person else PROGRAM] += 1
            if person and isinstance(uid, int):
                people.add(uid)
                if data.get("verbatim"):
                    verbatim += 1
                else:
                    own += 1
    steps = []
    for pid in order:
        p = phases[pid]
        by: str | None = None
        if p[PERSON] and p[PROGRAM]:
            by = "both"
        elif p[PERSON] or p[PROGRAM]:
            by = PERSON if p[PERSON] else PROGRAM
        steps.append({**p, "by": by})
    delivered = [s for s in steps if s["by"] is not None]
    by_person = sum(1 for s in delivered if s["by"] in (PERSON, "both"))
    return {
        "steps": steps,
        "by_person": by_person,
        "delivered": len(delivered),
        "person_share": (by_person / len(delivered)) if delivered else None,
        "palette_lines": verbatim,
        "own_words": own,
        "palette_share": (verbatim / (verbatim + own)) if verbatim + own else None,
        "homework_reviewed": any(e["kind"] == "homework_review" for e in events),
        "people": sorted(people),
    }


def _roles(store: Any) -> Callable[[int], str | None]:
    """A user's role, read once per user (on the store thread)."""
    roles: dict[int, str | None] = {}

    def role_of(uid: int) -> str | None:
        if uid not in roles:
            user = store.get_user(uid)
            roles[uid] = user["role"] if user else None
        return roles[uid]

    return role_of


def run_delivery(store: Any, events: list[dict[str, Any]]) -> dict[str, Any]:
    """On the store thread: how one run was delivered (a session's page)."""
    return delivery(events, _roles(store))


def per_specialist(store: Any, staff_id: int | None, limit: int = 300) -> list[dict[str, Any]]:
    """On the store thread: the delivery of the newest `limit` runs (all, or those of one staff member's
    participants), each with who delivered it; for the supervision page."""
    role_of = _roles(store)
    out = []
    for run in store.runs_in_scope(staff_id, None, limit):
        d = delivery(store.run_events(run["id"]), role_of)
        out.append({"run": run["id"], "started": run["started"], "scenario": run["scenario_id"], **d})
    return out
