"""Rooms: membership, avatars held in numpy arrays, and the authoritative tick."""

from .feature import RoomFeature, room_state
from .room import Avatar, Member, Room
from .world import Connection, World

__all__ = ["Avatar", "Connection", "Member", "Room", "RoomFeature", "World", "room_state"]
