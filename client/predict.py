"""Local prediction of your own avatar, reconciled smoothly with the server.

The server is authoritative: it integrates the held input axes (`move`) every
tick with its own motion model. Waiting for its snapshot before your own
avatar moves would add a round trip plus up to two ticks of delay to every
key press, so the client runs the *same* motion model locally on the keys you
hold (walk and turn speeds come from `room_state.motion`) and draws your
avatar there at once.

Each server pose of your avatar is extrapolated to "now" with the input you
are holding (it is a little old when it arrives) and the prediction is pulled
towards it with a soft exponential correction - a few centimetres are
absorbed over a quarter of a second, never a jump. A correction larger than
`snap` metres (a teleport, a resume in another place) is taken at once. With
no key held, the avatar settles exactly where the server says.
"""

from __future__ import annotations

import math

WALK_SPEED, TURN_SPEED, TICK_HZ, HALF_EXTENT = 1.6, 120.0, 30.0, 12.0


def integrate(
    x: float,
    y: float,
    yaw: float,
    axes,
    dt: float,
    walk: float = WALK_SPEED,
    turn_speed: float = TURN_SPEED,
    half: float = HALF_EXTENT,
) -> tuple[float, float, float]:
    """The server's motion model (server/world/slab.py), for one avatar: turn first, then step."""
    forward, strafe, turn = axes
    yaw = (yaw + turn * turn_speed * dt) % 360.0
    rad = math.radians(yaw)
    s, c = math.sin(rad), math.cos(rad)
    step = walk * dt
    x = min(half, max(-half, x + (c * strafe - s * forward) * step))
    y = min(half, max(-half, y + (c * forward + s * strafe) * step))
    return x, y, yaw


def _wrap(d: float) -> float:
    return (d + 180.0) % 360.0 - 180.0


class LocalPredictor:
    def __init__(
        self,
        walk: float = WALK_SPEED,
        turn_speed: float = TURN_SPEED,
        tick_hz: float = TICK_HZ,
        half: float = HALF_EXTENT,
        latency: float = 0.05,
        tau: float = 0.25,
        snap: float = 2.0,
    ):
        self.walk, self.turn_speed, self.tick_hz, self.half = walk, turn_speed, tick_hz, half
        self.latency = latency  # assumed age of a server pose when it arrives (one way + half a tick)
        self.tau = tau  # seconds for the correction to shrink to 1/e
        self.snap = snap  # metres: a larger disagreement is taken at once
        self.pose: tuple[float, float, float] | None = None
        self.server: tuple[float, float, float] | None = None
        self.server_at = 0.0  # local time the newest server pose arrived

    def configure(self, motion: dict | None) -> None:
        m = motion or {}
        self.walk = float(m.get("walk_speed", self.walk))
        self.turn_speed = float(m.get("turn_speed", self.turn_speed))
        self.tick_hz = float(m.get("tick_hz", self.tick_hz))

    def reset(self, pose=None) -> None:
        self.pose = tuple(pose) if pose is not None else None
        self.server = self.pose
        self.server_at = 0.0

    def on_server(self, x: float, y: float, yaw: float, now: float) -> None:
        self.server = (float(x), float(y), float(yaw))
        self.server_at = now
        if self.pose is None:
            self.pose = self.server

    def target(self, axes, now: float) -> tuple[float, float, float] | None:
        """Where the server's avatar is now, by its last pose and the input being held."""
        if self.server is None:
            return None
        if not any(axes):
            return self.server
        age = min(0.5, max(0.0, now - self.server_at) + self.latency)
        return integrate(*self.server, axes, age, self.walk, self.turn_speed, self.half)

    def step(self, dt: float, axes, now: float) -> tuple[float, float, float] | None:
        if self.pose is None:
            return None
        x, y, yaw = integrate(*self.pose, axes, dt, self.walk, self.turn_speed, self.half) if any(axes) else self.pose
        goal = self.target(axes, now)
        if goal is not None:
            ex, ey, eyaw = goal[0] - x, goal[1] - y, _wrap(goal[2] - yaw)
            if math.hypot(ex, ey) > self.snap:
                x, y, yaw = goal
            elif abs(ex) + abs(ey) < 0.002 and abs(eyaw) < 0.2 and not any(axes):
                x, y, yaw = goal  # settled: exactly the server's pose
            else:
                k = 1.0 - math.exp(-dt / self.tau) if dt > 0 else 0.0
                x, y, yaw = x + ex * k, y + ey * k, (yaw + eyaw * k) % 360.0
        self.pose = (x, y, yaw)
        return self.pose
