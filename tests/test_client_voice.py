"""Voice in the 3D client, offscreen: mouths that move with the voice's level, name tags that say who is
speaking (and that a peer specialist drives a cast avatar)."""

from __future__ import annotations

import numpy as np
import pytest

from client.avatars.avatar import HEAD_R
from client.testing import frame, region, sample_room, shared_app, to_pixel

LAYOUT = {0: (0.0, -2.0, 0.0), 1: (-0.6, 0.2, 180.0), 2: (0.9, 1.5, 180.0)}


@pytest.fixture
def app():
    return shared_app()


def settle(app, n=3):
    img = None
    for _ in range(n):
        img = frame(app)
    return img


def mouth_px(app, aid):
    """The pixel of the avatar's mouth and a radius that covers it."""
    av = app.avatars[aid]
    head = av.head.getPos(app.render)
    mouth = to_pixel(app, (head.x, head.y, head.z - HEAD_R * 0.42))
    top = to_pixel(app, (head.x, head.y, head.z + HEAD_R))
    centre = to_pixel(app, head)
    assert mouth is not None and top is not None and centre is not None
    return mouth, max(3, abs(centre[1] - top[1]) // 2)


def test_the_mouth_opens_with_the_voice_level_and_the_tag_says_speaking(app):
    sample_room(app, LAYOUT, members={1: "Robin", 2: "Kim"})
    settle(app)
    av = app.avatars[1]
    (c, r), radius = mouth_px(app, 1)
    av.set_voice_level(0.0, 0.02)
    silent = region(settle(app, 2), (c, r), radius)
    av.set_voice_level(0.7, 0.02)
    assert av.mouth > 0 and av.speaking
    speaking = region(settle(app, 2), (c, r), radius)
    diff = np.abs(speaking - silent).mean()
    assert diff > 0.01, f"the mouth did not open on screen (diff {diff:.4f})"
    assert "(speaking)" in av._tag_text.getText()
    # a louder voice opens it wider; the other avatar's face stays as it was
    av.set_voice_level(0.45, 0.02)
    low = av.mouth
    av.set_voice_level(0.95, 0.02)
    assert av.mouth > low > 0
    assert app.avatars[2].mouth == 0 and not app.avatars[2].speaking
    # silence closes the mouth at once; the tag keeps "speaking" a moment, then lets go
    av.set_voice_level(0.0, 0.1)
    assert av.mouth == 0 and av.speaking
    av.set_voice_level(0.0, 1.0)
    assert not av.speaking and av._tag_text.getText() == "Robin"
    closed = region(settle(app, 2), (c, r), radius)
    assert np.abs(closed - silent).mean() < diff / 4
