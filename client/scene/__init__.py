"""Procedural rooms: cafe, office (job interview) and park bench. See `build_scene`."""

from .rooms import ROOM_HALF, SCENE_BUILDERS, build_scene

__all__ = ["build_scene", "SCENE_BUILDERS", "ROOM_HALF"]
