"""One avatar in the 3D room.

The avatar's root faces +Y (Panda's forward). Body parts are procedural
geometry; the face is a textured card on the front of the head whose texture
is swapped per expression and intensity. Gestures are short, gentle
animations computed in `update(dt)`; with reduced motion they are smaller and
the idle breathing stops.
"""

from __future__ import annotations

import itertools
import math

from panda3d.core import CardMaker, NodePath, TextNode, TransparencyAttrib

from .. import fonts, geom, theme
from ..i18n import t
from .face import face_texture, mouth_step

HEAD_Z = 1.58
HEAD_R = 0.24
TAG_Z = 2.02
# metres a line of a name tag's / a bubble's text unit is, before client/scene/labels.py fits it to the screen
TAG_SCALE = 0.17
BUBBLE_SCALE = 0.15
# An avatar without a chosen appearance picks its skin and hair colour by id from this many first entries.
ID_SKINS, ID_HAIRS = 6, 5

# A name tag says "speaking" from the first sound until this long after the last (no flicker between words).
SPEAKING_HOLD = 0.6

_LINES_SAID = itertools.count(1)  # orders bubbles newest first, across avatars

# How long each gesture plays (seconds).
GESTURE_SECONDS = {"wave": 2.0, "nod": 1.4, "shake_head": 1.6, "point": 2.2, "shrug": 1.4, "thumbs_up": 2.0}


def _ease(t: float) -> float:
    """0..1 -> 0..1, smooth in and out (gentle starts and stops)."""
    t = min(max(t, 0.0), 1.0)
    return t * t * (3 - 2 * t)


# How a role-play avatar's name tag says who drives it (the `controller` event).
# (their words are the catalog's `tag.driver.<word>`)
DRIVER_WORDS = {"autonomous": "computer_run", "agent": "computer_run", "teleop": "peer_specialist", "paused": "waiting"}


def _hair(mesh: NodePath, style: str, colour) -> None:
    """The hair on the head's mesh, in one of the palette's hair_styles."""
    if style == "cropped":
        mesh.attachNewNode(
            geom.sphere(HEAD_R * 1.03, colour, center=(0, -0.04, 0.09), scale=(1.0, 0.97, 0.8), rings=6, segments=12)
        )
        return
    cap = 1.13 if style == "curly" else 1.07
    mesh.attachNewNode(
        geom.sphere(HEAD_R * cap, colour, center=(0, -0.05, 0.07), scale=(1.0, 0.97, 0.9), rings=6, segments=12)
    )
    if style == "long":  # falls behind the head to the shoulders
        mesh.attachNewNode(geom.box(HEAD_R * 1.9, 0.1, 0.38, colour, center=(0, -HEAD_R * 0.75, -0.12)))
    elif style == "bun":
        mesh.attachNewNode(geom.sphere(0.085, colour, center=(0, -HEAD_R * 0.9, HEAD_R * 0.75), rings=5, segments=8))
    elif style == "curly":  # a few soft curls around the crown
        for k in range(6):
            a = math.pi * (0.15 + 0.14 * k)
            c = (math.cos(a) * HEAD_R * 1.05, -0.06 - math.sin(a) * HEAD_R * 0.5, HEAD_R * 0.35)
            mesh.attachNewNode(geom.sphere(0.075, colour, center=c, rings=4, segments=6))


class Avatar:
    def __init__(
        self,
        parent: NodePath,
        avatar_id: int,
        name: str,
        kind: str = "person",
        role: str = "",
        text_scale: float = 1.0,
        reduced_motion: bool = False,
        appearance: dict | None = None,
    ):
        self.id = avatar_id
        self.appearance = dict(appearance) if appearance is not None else None
        self.name = name
        self.kind = kind
        self.role = role
        self.away = False
        self.driver: str | None = None
        self.paused = False
        self.expression = "neutral"
        self.intensity = 0.0
        self.mouth = 0  # how open the mouth is while speaking (face.MOUTH_STEPS steps)
        self.speaking = False
        self._speaking_left = 0.0
        self.gesture = "none"
        self.gesture_t = 0.0
        self.reduced_motion = reduced_motion
        self.text_scale = text_scale
        self.moving = False
        self.placed = False  # set once a pose arrived (the app shows it then)
        self._rested = False  # limbs posed at rest already (skip re-posing idle avatars)
        self._walk_phase = 0.0
        self._time = (avatar_id * 0.37) % 4.0
        self._bubble: NodePath | None = None
        self._bubble_left = 0.0
        self.said = 0  # when the bubble's line was said, in _LINES_SAID's order

        self.root = parent.attachNewNode(f"avatar-{avatar_id}")
        self.root.setPythonTag("avatar_id", avatar_id)
        self._build()
        self.set_expression("neutral", 0.0)
        self._make_tag()

    # --- construction -----------------------------------------------------------
    def _colours(self) -> tuple[tuple, tuple, tuple, tuple, float, str]:
        """skin, top, bottom, hair colour, body width and hair style: the person's chosen look where they
        chose one (wire/appearance.py), else a stable look from the avatar id."""
        look, i = self.appearance, self.id
        if look is not None:
            return (
                theme.option("skin", look["skin"]),
                theme.option("shirt", look["top"]),
                theme.option("trousers", look["bottom"]),
                theme.option("hair", look["hair_colour"]),
                float(theme.PALETTE["body_shapes"].get(look["body"], 1.0)),
                look["hair"],
            )
        return (
            # the lists grew for people's own choices; an id keeps the look it had before (the first entries)
            theme.pick("skin", i * 7 + 3, among=ID_SKINS),
            theme.pick("shirt", i),
            theme.pick("trousers", i * 3 + 1),
            theme.pick("hair", i * 5 + 2, among=ID_HAIRS),
            1.0,
            "short",
        )

    def set_appearance(self, look: dict | None) -> None:
        """Rebuild the body in a new look (name tag, bubble, pose and expression stay)."""
        if look == self.appearance:
            return
        self.appearance = dict(look) if look is not None else None
        self.body.removeNode()
        self._build()
        self.set_expression(self.expression, self.intensity)
        self._rested = False

    def _build(self):
        skin, shirt, legs_c, hair, width, hair_style = self._colours()
        # everything but the name tag and bubble, so a new look can replace it
        r = self.body = self.root.attachNewNode("body")
        # a soft shadow disc keeps avatars grounded
        shadow = r.attachNewNode(geom.disc(0.42, (0.2, 0.22, 0.25, 0.22), segments=16, z=0.01))
        shadow.setTransparency(TransparencyAttrib.MAlpha)
        shadow.setLightOff()
        shadow.setDepthWrite(False)
        # Each rigid part's shapes go under one "mesh" node that is flattened into a single Geom:
        # fewer, larger draws keep 50 avatars affordable on software GL (llvmpipe) and modest PCs.
        self.legs = []
        for sx in (-1, 1):
            hip = r.attachNewNode("hip")
            hip.setPos(sx * 0.12 * width, 0, 0.86)
            mesh = hip.attachNewNode("mesh")
            mesh.setSx(width)
            mesh.attachNewNode(geom.box(0.16, 0.18, 0.84, legs_c, center=(0, 0, -0.42)))
            mesh.attachNewNode(geom.box(0.18, 0.28, 0.08, (0.3, 0.28, 0.28, 1), center=(0, 0.04, -0.83)))
            mesh.flattenStrong()
            self.legs.append(hip)
        self.torso = r.attachNewNode("torso")
        self.torso.setPos(0, 0, 0.84)
        mesh = self.torso.attachNewNode("mesh")
        mesh.setSx(width)
        mesh.attachNewNode(geom.cylinder(0.25, 0.56, shirt, segments=10, top_radius=0.22))
        mesh.attachNewNode(geom.sphere(0.22, shirt, rings=5, segments=10, center=(0, 0, 0.56), scale=(1, 0.85, 0.4)))
        mesh.flattenStrong()
        self.arms = []
        for sx in (-1, 1):
            sh = self.torso.attachNewNode("shoulder")
            sh.setPos(sx * (0.31 + 0.25 * (width - 1)), 0, 0.52)
            mesh = sh.attachNewNode("mesh")
            mesh.attachNewNode(geom.cylinder(0.065, 0.58, shirt, segments=6, center=(0, 0, -0.58)))
            mesh.attachNewNode(geom.sphere(0.07, skin, rings=4, segments=6, center=(0, 0, -0.62)))
            mesh.flattenStrong()
            self.arms.append(sh)
        self.neck = self.torso.attachNewNode("neck")
        self.neck.setPos(0, 0, HEAD_Z - 0.84 - HEAD_R + 0.02)
        self.head = self.neck.attachNewNode("head")
        self.head.setPos(0, 0, HEAD_R - 0.02)
        mesh = self.head.attachNewNode("mesh")
        mesh.attachNewNode(geom.sphere(HEAD_R, skin, rings=12, segments=20, scale=(1, 0.95, 1.08)))
        _hair(mesh, hair_style, hair)
        mesh.flattenStrong()
        cm = CardMaker("face")
        s = HEAD_R * 0.92
        cm.setFrame(-s, s, -s, s)
        self.face = self.head.attachNewNode(cm.generate())
        # the card lies in XZ facing -Y; turn it to face +Y and put it just in front of the head
        self.face.setH(180)
        self.face.setPos(0, HEAD_R * 0.95 + 0.012, -0.01)
        self.face.setTransparency(TransparencyAttrib.MAlpha)
        self.face.setLightOff()
        self.face.setDepthOffset(2)
        # hair covers the top/back of the head; keep the fringe behind the face card
        self.hand_r = self.arms[1]

    def _make_tag(self):
        tn = TextNode(f"tag-{self.id}")
        tn.setAlign(TextNode.ACenter)
        tn.setTextColor(*theme.colour("tag_text"))
        tn.setCardAsMargin(0.35, 0.35, 0.15, 0.12)
        self._tag_text = tn
        # the tag and the bubble, together: client/scene/labels.py hides both when neither can be in view
        self.labels = self.root.attachNewNode("labels")
        self.tag = self.labels.attachNewNode(tn)
        self.tag.setPos(0, 0, TAG_Z)
        self.tag.setBillboardPointEye()
        self.tag.setLightOff()
        self.tag.setDepthWrite(False)
        self.tag.setDepthTest(False)
        self.tag.setBin("fixed", 0)
        self.tag.setTransparency(TransparencyAttrib.MAlpha)
        self._refresh_tag()

    def _refresh_tag(self):
        label = self.name
        if self.role == "agent":
            label += t("tag.program")  # an autonomous driver's own presence in the room
        if self.kind == "cast":
            # Say who drives a role-play avatar: people should never mistake a program for a person.
            who = DRIVER_WORDS.get(self.driver)
            label += t("tag.role_play_by", who=t(f"tag.driver.{who}")) if who else t("tag.role_play")
        if self.away:
            label += t("tag.away")
        if self.paused:
            label += t("tag.paused")
        if self.speaking:
            label = t("voice.tag_speaking", tag=label)
        fonts.apply(self._tag_text, label)
        self._tag_text.setText(label)
        card = theme.colour("tag_speaking" if self.speaking else ("tag_cast" if self.kind == "cast" else "tag_person"))
        if self.away:
            card = card[:3] + (0.45,)
        self._tag_text.setCardColor(*card)
        self.tag.setScale(TAG_SCALE * self.text_scale)

    # --- state ---------------------------------------------------------------
    def set_expression(self, name: str, intensity: float = 1.0):
        self.expression = name
        self.intensity = float(min(max(intensity, 0.0), 1.0))
        self.face.setTexture(face_texture(name, self.intensity, self.mouth), 1)

    def set_voice_level(self, level: float, dt: float) -> None:
        """The level (0..1) of this avatar's voice as it is played now: the mouth opens with it, and the
        name tag says who is speaking (held a moment after the sound stops, so it does not flicker)."""
        step = mouth_step(level)
        if step != self.mouth:
            self.mouth = step
            self.face.setTexture(face_texture(self.expression, self.intensity, step), 1)
        if step > 0:
            self._speaking_left = SPEAKING_HOLD
        else:
            self._speaking_left = max(0.0, self._speaking_left - dt)
        speaking = self._speaking_left > 0
        if speaking != self.speaking:
            self.speaking = speaking
            self._refresh_tag()

    def play_gesture(self, name: str):
        if name not in GESTURE_SECONDS:
            self.gesture, self.gesture_t = "none", 0.0
            return
        self.gesture, self.gesture_t = name, 0.0
        self._rested = False

    def set_away(self, away: bool):
        self.away = bool(away)
        self._refresh_tag()
        self.root.setAlphaScale(0.5 if away else 1.0)
        if away:
            self.root.setTransparency(TransparencyAttrib.MAlpha)
        else:
            self.root.clearTransparency()

    def show_tag(self, show: bool):
        self.tag.show() if show else self.tag.hide()

    def set_paused(self, paused: bool):
        self.paused = bool(paused)
        self._refresh_tag()

    def set_driver(self, driver: str | None):
        """'autonomous' / 'agent' (a program), 'teleop' (a peer specialist) or 'paused'."""
        self.driver = driver
        self._refresh_tag()

    def set_name(self, name: str):
        self.name = name
        self._refresh_tag()

    def set_text_scale(self, s: float):
        self.text_scale = s
        self._refresh_tag()
        if self._bubble is not None:
            self._place_bubble()

    def say(self, text: str):
        if self._bubble is not None:
            self._bubble.removeNode()
        tn = TextNode(f"bubble-{self.id}")
        fonts.apply(tn, text)
        tn.setText(text if len(text) <= 160 else text[:157] + "...")
        tn.setWordwrap(12)
        tn.setAlign(TextNode.ACenter)
        tn.setTextColor(*theme.colour("tag_text"))
        tn.setCardColor(*theme.colour("bubble"))
        tn.setCardAsMargin(0.5, 0.5, 0.3, 0.3)
        b = self.labels.attachNewNode(tn)
        b.setBillboardPointEye()
        b.setLightOff()
        b.setDepthWrite(False)
        b.setDepthTest(False)
        b.setBin("fixed", 10)
        b.setTransparency(TransparencyAttrib.MAlpha)
        self._bubble = b
        self.said = next(_LINES_SAID)
        self._place_bubble()
        self._bubble_left = 5.0 + len(text) / 14.0

    def _place_bubble(self):
        """Above the name tag; TextNode rows grow downwards, so lift it by its row count."""
        b = self._bubble
        scale = BUBBLE_SCALE * self.text_scale
        rows = max(1, b.node().getNumRows())
        b.setScale(scale)
        b.setPos(0, 0, TAG_Z + TAG_SCALE * self.text_scale * 1.1 + scale * (0.75 + 1.05 * (rows - 1)))

    @property
    def bubble(self) -> NodePath | None:
        """The speech bubble shown now, if any (client/scene/labels.py places it)."""
        return self._bubble

    @property
    def bubble_text(self) -> str | None:
        return None if self._bubble is None else self._bubble.node().getText()

    def set_pose(self, x: float, y: float, heading: float):
        self.root.setPos(x, y, 0)
        self.root.setH(heading)

    def destroy(self):
        self.root.removeNode()

    # --- animation -------------------------------------------------------------
    def update(self, dt: float):
        self._time += dt
        amp = 0.45 if self.reduced_motion else 1.0
        # idle breathing (off with reduced motion)
        if not self.reduced_motion:
            self.torso.setSz(1.0 + 0.012 * math.sin(self._time * 2 * math.pi / 4.0))
        elif self.torso.getSz() != 1.0:
            self.torso.setSz(1.0)
        at_rest = not self.moving and self.gesture == "none"
        if at_rest and self._rested:
            self._update_bubble(dt)  # limbs already at rest: nothing else to pose this frame
            return
        self._rested = at_rest
        # walking: legs and arms swing gently while moving
        if self.moving:
            self._walk_phase += dt * 2 * math.pi * 1.6
            swing = 22 * amp * math.sin(self._walk_phase)
        else:
            self._walk_phase = 0.0
            swing = 0.0
        self.legs[0].setP(swing)
        self.legs[1].setP(-swing)
        arm_l = (-swing * 0.6, 0.0, 6.0)  # (pitch, heading, roll)
        arm_r = (swing * 0.6, 0.0, -6.0)
        head = (0.0, 0.0)  # (heading, pitch)
        shrug = 0.0
        g = self.gesture
        if g != "none":
            dur = GESTURE_SECONDS[g]
            self.gesture_t += dt
            t = self.gesture_t / dur
            if t >= 1.0:
                self.gesture, self.gesture_t = "none", 0.0
            else:
                env = _ease(t / 0.2) * _ease((1 - t) / 0.2)  # ease in and out
                w = 2 * math.pi * self.gesture_t
                if g == "wave":
                    arm_r = (0.0, 0.0, -(150 + 18 * amp * math.sin(w * 1.6)) * env)
                elif g == "nod":
                    head = (0.0, -16 * amp * math.sin(w * 1.5) * env)
                elif g == "shake_head":
                    head = (24 * amp * math.sin(w * 1.6) * env, 0.0)
                elif g == "point":
                    arm_r = (85 * env, 0.0, -4.0)
                elif g == "shrug":
                    shrug = 0.07 * env
                    arm_l = (20 * env, 0.0, 22 * env)
                    arm_r = (20 * env, 0.0, -22 * env)
                elif g == "thumbs_up":
                    arm_r = (70 * env, 0.0, -10 * env)
        self.arms[0].setHpr(arm_l[1], arm_l[0], arm_l[2])
        self.arms[1].setHpr(arm_r[1], arm_r[0], arm_r[2])
        self.arms[0].setZ(0.52 + shrug)
        self.arms[1].setZ(0.52 + shrug)
        self.head.setHpr(head[0], head[1], 0)
        self._update_bubble(dt)

    def _update_bubble(self, dt: float):
        # speech bubble: shown for a while, then gently fades (or just goes, with reduced motion)
        if self._bubble is not None:
            self._bubble_left -= dt
            if self._bubble_left <= 0:
                self._bubble.removeNode()
                self._bubble = None
            elif self._bubble_left < 1.0 and not self.reduced_motion:
                self._bubble.setAlphaScale(self._bubble_left)
