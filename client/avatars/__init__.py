"""Procedural avatars: body, head, expressive face, gestures, name tag, speech bubble."""

from .avatar import GESTURE_SECONDS, Avatar
from .face import EXPRESSION_PARAMS, face_texture, params_for

__all__ = ["Avatar", "GESTURE_SECONDS", "EXPRESSION_PARAMS", "face_texture", "params_for"]
