"""Replay mode: play a recorded session back in the 3D scene, for supervision.

`ReplayTrack` holds a session's pose track (the server's /api/runs/<id>/replay
pages, or the `replay` intent's answers: quantised wire.codec records at ~5 Hz),
its member tables and the lines said; `poses_at(t)` interpolates between samples.
`ReplayView` draws it with the client's own scene and avatars (no network, no
input): `seek(t)` places everyone and shows the lines said since the last seek.
The track reader needs numpy only; the view needs Panda3D.
"""

from __future__ import annotations

import base64
from bisect import bisect_right

import numpy as np

from wire import codec


class ReplayTrack:
    def __init__(self, pages: list[dict]):
        frames, members, lines = [], [], []
        for p in pages:
            frames += p["frames"]
            members += p["members"]
            lines += p["lines"]
        self.times = np.array([f["t"] for f in frames], np.float64)
        self.frames = []
        for f in frames:
            blob = f["poses"] if isinstance(f["poses"], bytes) else base64.b64decode(f["poses"])
            ids, xy, yaw = codec.poses_to_float(codec.decode_poses(blob))
            self.frames.append({int(i): (float(x), float(y), float(h)) for i, (x, y), h in zip(ids, xy, yaw)})
        self.members = sorted(members, key=lambda m: m["t"])
        self.lines = sorted(lines, key=lambda l: l["t"])
        self.start = float(self.times[0]) if len(self.times) else 0.0
        self.end = float(self.times[-1]) if len(self.times) else 0.0

    @property
    def duration(self) -> float:
        return self.end - self.start

    def members_at(self, t: float) -> dict[int, dict]:
        out: dict = {}
        for m in self.members:
            if m["t"] <= t + 1e-6:
                out = m["members"]
        return {int(k): v for k, v in out.items()}

    def poses_at(self, t: float) -> dict[int, tuple[float, float, float]]:
        """Avatar id -> (x, y, heading) at absolute time t, interpolated between samples."""
        if not self.frames:
            return {}
        k = bisect_right(self.times, t) - 1
        if k < 0:
            return dict(self.frames[0])
        if k >= len(self.frames) - 1:
            return dict(self.frames[-1])
        a, b = self.frames[k], self.frames[k + 1]
        u = (t - self.times[k]) / max(1e-9, self.times[k + 1] - self.times[k])
        out = {}
        for i, (x, y, h) in a.items():
            if i in b:
                x2, y2, h2 = b[i]
                dh = (h2 - h + 180.0) % 360.0 - 180.0
                out[i] = (x + (x2 - x) * u, y + (y2 - y) * u, (h + dh * u) % 360.0)
            else:
                out[i] = (x, y, h)
        return out

    def lines_between(self, t0: float, t1: float) -> list[dict]:
        return [l for l in self.lines if t0 < l["t"] <= t1]


async def fetch(base_url: str, token: str, run_id: int, page: int = 500) -> ReplayTrack:
    """Read a whole session's replay over HTTP (a staff account's token)."""
    import aiohttp

    pages, after = [], 0.0
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
        while True:
            async with http.get(
                f"{base_url.rstrip('/')}/api/runs/{run_id}/replay", params={"after": repr(after), "limit": str(page)}
            ) as r:
                r.raise_for_status()
                body = await r.json()
            pages.append(body)
            if not body["more"]:
                return ReplayTrack(pages)
            after = body["next"]


class ReplayView:
    """The track drawn in the 3D scene under `parent` (e.g. the client's render)."""

    def __init__(self, parent, track: ReplayTrack, scene: str = "cafe", text_scale: float = 1.0):
        from .avatars import Avatar
        from .scene import build_scene

        self._Avatar = Avatar
        self.track = track
        self.root = parent.attachNewNode("replay")
        self.scene = build_scene(scene, self.root)
        self.avatars: dict[int, object] = {}
        self.text_scale = text_scale
        self.t = track.start

    def seek(self, t: float) -> None:
        members = self.track.members_at(t)
        for aid in [a for a in self.avatars if a not in members]:
            self.avatars.pop(aid).destroy()
        for aid, m in members.items():
            if aid not in self.avatars:
                self.avatars[aid] = self._Avatar(
                    self.root, aid, m["name"], m["kind"], m["role"], text_scale=self.text_scale
                )
        for aid, (x, y, h) in self.track.poses_at(t).items():
            if aid in self.avatars:
                self.avatars[aid].set_pose(x, y, h)
        by_name = {getattr(a, "name", None): a for a in self.avatars.values()}
        for line in self.track.lines_between(min(self.t, t), t):
            av = by_name.get(line["name"])
            if av is not None:
                av.say(line["text"])
        self.t = t

    def update(self, dt: float) -> None:
        for av in self.avatars.values():
            av.update(dt)

    def destroy(self) -> None:
        for av in self.avatars.values():
            av.destroy()
        self.avatars.clear()
        self.root.removeNode()
