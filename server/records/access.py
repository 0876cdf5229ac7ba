"""Who may see which records.

  facilitator, admin   every room, session, participant and safety record
  peer_specialist      sessions in rooms they created, and sessions they took part in
                       (they said or tagged something in that room while the session ran);
                       the participants of those sessions; alerts and reports of those rooms
  participant, agent   no staff records (a participant exports their own data at /api/me/export)
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


def can_see_run(store, user: dict, run: dict) -> bool:
    if user["role"] in SEE_ALL:
        return True
    if user["role"] != events.PEER_SPECIALIST:
        return False
    room = store._exec("SELECT created_by FROM rooms WHERE id=?", (run["room_id"],)).fetchone()
    if room and room["created_by"] == user["id"]:
        return True
    lo, hi = run_window(run)
    return store._exec("SELECT 1 FROM events WHERE room_id=? AND user_id=? AND ts BETWEEN ? AND ? LIMIT 1",
                       (run["room_id"], user["id"], lo, min(hi, 1e18))).fetchone() is not None


def visible_runs(store, user: dict) -> list[dict]:
    return [r for r in store.runs() if can_see_run(store, user, r)]


def can_see_person(store, user: dict, person_id: int) -> bool:
    if user["role"] in SEE_ALL:
        return True
    return any(r["participant_user_id"] == person_id for r in visible_runs(store, user))


def visible_rooms(store, world, user: dict) -> list[str] | None:
    """Room ids whose safety records the user may see; None means all."""
    if user["role"] in SEE_ALL:
        return None
    mine = {r["id"] for r in store.list_rooms() if r["created_by"] == user["id"]}
    mine |= {r["room_id"] for r in visible_runs(store, user)}
    mine |= {room.id for room in world.rooms.values() if user["id"] in room.members}
    return sorted(mine)


def run_or_404(store, user: dict, run_id: int) -> dict:
    run = store.get_run(run_id)
    if run is None or not can_see_run(store, user, run):
        # the same answer for "no such session" and "not yours": no probing
        raise WireError(errors.NOT_FOUND, "There is no such session you can see.")
    return run
