"""Quantised pose snapshots: 8 bytes per avatar per update.

The room tick keeps positions and yaws as float arrays; each tick it encodes
the avatars whose *quantised* pose changed into one bytes blob with numpy and
sends that single blob to the whole room. Clients decode with `decode_poses`.

Layout per avatar (little-endian, packed):
  id    uint16   avatar id within the room
  x, y  int16    centimetres, so +-327.67 m around the room origin
  yaw   uint8    1/256 of a turn (1.4 degrees)
  flags uint8    see FLAG_*
"""

from __future__ import annotations

from typing import Any

import msgpack
import numpy as np

POSE_DTYPE = np.dtype([("id", "<u2"), ("x", "<i2"), ("y", "<i2"), ("yaw", "u1"), ("flags", "u1")])
assert POSE_DTYPE.itemsize == 8

POS_SCALE = 100.0  # units (metres) -> centimetres
POS_LIMIT = 327.0  # metres; rooms are clamped well inside this
YAW_STEPS = 256

FLAG_MOVING = 1
FLAG_AWAY = 2  # connection dropped, within the resume grace window
FLAG_CAST = 4  # a scenario cast avatar (coach, partner), not a person's own


def quantise(ids: np.ndarray, xy: np.ndarray, yaw_deg: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Vectorised float poses -> POSE_DTYPE records."""
    out = np.empty(len(ids), dtype=POSE_DTYPE)
    out["id"] = ids
    q = np.rint(np.clip(xy, -POS_LIMIT, POS_LIMIT) * POS_SCALE)
    out["x"] = q[:, 0]
    out["y"] = q[:, 1]
    out["yaw"] = np.rint(np.mod(yaw_deg, 360.0) * (YAW_STEPS / 360.0)).astype(np.int64) % YAW_STEPS
    out["flags"] = flags
    return out


def encode_poses(records: np.ndarray) -> bytes:
    return records.tobytes()


def snapshot(tick: int, blob: bytes) -> list[Any]:
    """A `snap` payload, `[tick, poses]` (read it with `tick, blob = payload`). Positional since protocol 2: the
    keys of a map (`{"t", "poses"}`) were 8 of the ~120 bytes a room of ten gets each tick."""
    return [tick, blob]


def decode_poses(blob: bytes) -> np.ndarray:
    if len(blob) % POSE_DTYPE.itemsize:
        raise ValueError("pose blob length is not a multiple of 8")
    return np.frombuffer(blob, dtype=POSE_DTYPE)


def poses_to_float(records: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """POSE_DTYPE records -> (ids, xy metres (N,2), yaw degrees)."""
    xy = np.stack([records["x"], records["y"]], axis=1).astype(np.float32) / POS_SCALE
    yaw = records["yaw"].astype(np.float32) * (360.0 / YAW_STEPS)
    return records["id"].astype(np.int64), xy, yaw


def pack(obj: Any) -> bytes:
    packed: bytes = msgpack.packb(obj, use_bin_type=True)
    return packed


def unpack(data: bytes) -> Any:
    return msgpack.unpackb(data, raw=False)
