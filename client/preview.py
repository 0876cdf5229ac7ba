"""An offline preview: a scene with sample avatars, one per expression, no server needed.

Used by `peerspace-client --preview cafe --screenshot out.png`, the docs and the benchmark.
It is clearly labelled as a preview and sends nothing anywhere.
"""

from __future__ import annotations

import math
import time

import numpy as np

from .avatars.face import EXPRESSION_PARAMS
from .i18n import t

NAMES = ["Alex", "Sam", "Jo", "Robin", "Kim", "Ari", "Noor", "Lee", "Mika", "Tove"]  # i18n: not shown (names)


def sample_members(n: int, cast_every: int = 4) -> list[dict]:
    exprs = list(EXPRESSION_PARAMS)
    out = []
    for i in range(n):
        out.append(
            {
                "avatar": i,
                "name": NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else f" {i // len(NAMES)}"),
                "kind": "cast" if cast_every and i % cast_every == 3 else "person",
                "role": "",
                "expression": exprs[i % len(exprs)],
                "intensity": 1.0,
                "gesture": "none",
                "away": False,
            }
        )
    return out


def ring_poses(n: int, you: int | None = 0, radius: float = 2.6):
    """Avatars on an arc in front of avatar `you`, facing it."""
    xy = np.zeros((n, 2), np.float32)
    yaw = np.zeros(n, np.float32)
    others = [i for i in range(n) if i != you]
    for k, i in enumerate(others):
        n = len(others)
        a = math.radians(-60 + 120 * (k + 0.5) / max(1, n)) if n < 8 else 2 * math.pi * k / n
        r = radius if len(others) < 8 else radius + 0.6 * (k % 4)
        xy[i] = (math.sin(a) * r, math.cos(a) * r)
        yaw[i] = math.degrees(math.atan2(xy[i, 0], -xy[i, 1]))  # face the origin
    if you is not None:
        xy[you] = (0.0, -2.0)
        yaw[you] = 0.0
    return xy, yaw


def populate_preview(app, scene: str, n: int = 7):
    from wire import codec

    members = sample_members(n)
    xy, yaw = ring_poses(n)
    ids = np.arange(n)
    blob = codec.encode_poses(codec.quantise(ids, xy, yaw, np.zeros(n, np.uint8)))
    app.opts.user = app.opts.user or members[0]["name"]
    app.on_room_state(
        {
            "room": {"id": "preview", "name": t("preview.room", scene=scene), "scene": scene, "capacity": 12},
            "you": 0,
            "members": members,
            "poses": blob,
            "t": 0,
        }
    )
    app.notice(t("preview.notice"), seconds=30)
    app.recorded.set(t("preview.recorded"))
    app.on_said({"avatar": 1, "name": members[1]["name"], "text": t("preview.hello")})
    app.interp.offset = time.perf_counter()
