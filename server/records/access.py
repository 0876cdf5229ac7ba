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

from wire import errors, events
from wire.errors import WireError

SEE_ALL = (events.FACILITATOR, events.ADMIN)
DASHBOARD = (events.PEER_SPECIALIST, events.FACILITATOR, events.ADMIN)


def require(user: dict, roles=DASHBOARD) -> None:
    if user["role"] not in roles:
        raise WireError(errors.FORBIDDEN, "Your role cannot see these records.")


def run_window(run: dict) -> tuple[float, float]:
    end = run["updated"] if run.get("status") not in ("active", None) else float("inf")
    return run["started"] - 1.0, end + 1.0


def scope_of(user: dict) -> int | None:
    """The staff id whose assignments bound what this user sees; None means everything."""
    if user["role"] in SEE_ALL:
        return None
    if user["role"] != events.PEER_SPECIALIST:
        raise WireError(errors.FORBIDDEN, "Your role cannot see these records.")
    return user["id"]


async def can_see_person(store, user: dict, person_id: int | None) -> bool:
    if user["role"] in SEE_ALL:
        return True
    if user["role"] != events.PEER_SPECIALIST or person_id is None:
        return False
    return await store.aio.staff_sees_person(user["id"], person_id)


async def can_see_run(store, user: dict, run: dict) -> bool:
    return await can_see_person(store, user, run["participant_user_id"])


async def visible_runs(store, user: dict, participant_id: int | None = None, limit: int | None = None) -> list[dict]:
    """The runs this user may see, oldest first (one indexed query)."""
    return await store.aio.runs_in_scope(scope_of(user), participant_id, limit)


async def visible_people(store, user: dict) -> list[dict]:
    """Participants this user may see, each with their number of sessions (one indexed query)."""
    return await store.aio.participants_overview(scope_of(user))


async def run_or_404(store, user: dict, run_id: int) -> dict:
    run = await store.aio.get_run(run_id)
    if run is None or not await can_see_run(store, user, run):
        # the same answer for "no such session" and "not yours": no probing
        raise WireError(errors.NOT_FOUND, "There is no such session you can see.")
    return run
