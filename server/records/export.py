"""Everything peerspace holds about one person, as one JSON-able document, and its deletion.

Deleting the user row cascades (ON DELETE CASCADE) to their lines, their
sessions and those sessions' events and pose tracks, questionnaire answers,
blocks, reports they made, alerts and moderation entries about them.
"""

from __future__ import annotations

import base64

from ..safety.store import SafetyStore


def export_user(store, user_id: int) -> dict | None:
    data = store.export_user(user_id)
    if data is None:
        return None
    row = store._exec("SELECT consent_recording, consent_updated FROM users WHERE id=?", (user_id,)).fetchone()
    data["format"] = "peerspace-export/2"
    data["consent"] = {"recording": bool(row["consent_recording"]), "updated": row["consent_updated"]}
    data.update(SafetyStore(store).export_user(user_id))
    from .questionnaires import Questionnaires
    q = Questionnaires.__new__(Questionnaires)
    q.store = store
    data["questionnaires"] = q.of_user(user_id)
    tracks = []
    for run in data["runs"]:
        rows = store._exec("SELECT t, poses, members FROM pose_tracks WHERE run_id=? ORDER BY t", (run["id"],)).fetchall()
        tracks.append({"run": run["id"], "pose_format": "wire.codec POSE_DTYPE, base64",
                       "frames": [{"t": r["t"], "poses": base64.b64encode(bytes(r["poses"])).decode(),
                                   "members": r["members"]} for r in rows]})
    data["replays"] = tracks
    for key in ("user",):
        data[key] = {k: v for k, v in data[key].items() if not isinstance(v, bytes)}
    return data


def delete_user(store, user_id: int) -> bool:
    return store.delete_user(user_id)
