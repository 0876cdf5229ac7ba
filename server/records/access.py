"""Who may see which records.

  facilitator, admin   every room, session, participant and safety record
  peer_specialist      the participants they look after, and only those: the members of the groups they are
                       assigned to (`peerspace group assign`) plus those assigned to them directly
                       (`peerspace assign`); those participants' sessions, and the safety alerts and reports
                       about them. Never by presence: being in a room, or saying something there, shows
                       nothing of its history.
  participant, agent   no staff records (a participant exports their own data at /api/me/export)

Every check here reads the store off the event loop (`store.aio`).
"""

from __future__ import annotations

from typing import Any

from wire import errors, events
from wire.errors import WireError

from ..storage.interfaces import Storage

SEE_ALL = (events.FACILITATOR, events.ADMIN)
DASHBOARD = (events.PEER_SPECIALIST, events.FACILITATOR, events.ADMIN)


def require(user: dict[str, Any], roles: tuple[str, ...] = DASHBOARD) -> None:
    if user["role"] not in roles:
        raise WireError(errors.FORBIDDEN, "Your role cannot see these records.")


def run_window(run: dict[str, Any]) -> tuple[float, float]:
    end = run["updated"] if run.get("status") not in ("active", None) else float("inf")
    return run["started"] - 1.0, end + 1.0


def scope_of(user: dict[str, Any]) -> int | None:
    """The staff id whose assignments bound what this user sees; None means everything."""
    if user["role"] in SEE_ALL:
        return None
    if user["role"] != events.PEER_SPECIALIST:
        raise WireError(errors.FORBIDDEN, "Your role cannot see these records.")
    staff_id: int = user["id"]
    return staff_id


async def can_see_person(store: Storage, user: dict[str, Any], person_id: int | None) -> bool:
    if user["role"] in SEE_ALL:
        return True
    if user["role"] != events.PEER_SPECIALIST or person_id is None:
        return False
    sees: bool = await store.aio.staff_sees_person(user["id"], person_id)
    return sees


async def can_see_run(store: Storage, user: dict[str, Any], run: dict[str, Any]) -> bool:
    return await can_see_person(store, user, run["participant_user_id"])


async def visible_runs(
    store: Storage, user: dict[str, Any], participant_id: int | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """The runs this user may see, oldest first (one indexed query)."""
    runs: list[dict[str, Any]] = await store.aio.runs_in_scope(scope_of(user), participant_id, limit)
    return runs


async def visible_people(store: Storage, user: dict[str, Any]) -> list[dict[str, Any]]:
    """Participants this user may see, each with their number of sessions (one indexed query)."""
    people: list[dict[str, Any]] = await store.aio.participants_overview(scope_of(user))
    return people


async def run_or_404(store: Storage, user: dict[str, Any], run_id: int) -> dict[str, Any]:
    run: dict[str, Any] | None = await store.aio.get_run(run_id)
    if run is None or not await can_see_run(store, user, run):
        # the same answer for "no such session" and "not yours": no probing
        raise WireError(errors.NOT_FOUND, "There is no such session you can see.")
    return run
