"""Facial expressions drawn in code: one RGBA texture per (expression, intensity step).

Each expression is a set of feature parameters (eye openness, brow height and
slant, mouth curve and opening...). Intensity 0..1 blends from neutral to the
full expression, so a slight smile and a broad smile are different images,
which emotion-recognition exercises need. Drawing is vectorised numpy with
anti-aliased signed-distance shapes; a texture is made once and cached.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import numpy as np
from panda3d.core import SamplerState, Texture

from .. import theme

SIZE = 128
STEPS = 20  # intensity is quantised to 1/20 for the texture cache


@dataclass(frozen=True)
class FaceParams:
    eye_open: float = 1.0  # vertical scale of the eyes
    eye_size: float = 1.0
    brow_y: float = 0.0  # raise (+) / lower (-) both brows
    brow_inner: float = 0.0  # inner ends up (+, worried/sad) or down (-, angry)
    curve: float = 0.0  # mouth corners up (+) or down (-)
    open: float = 0.0  # mouth opening height
    width: float = 1.0  # mouth width scale
    asym: float = 0.0  # one-sided lip raise (disgust)
    blush: float = 0.0
    pupil: float = 1.0  # iris size scale


EXPRESSION_PARAMS: dict[str, FaceParams] = {
    "neutral": FaceParams(),
    "happy": FaceParams(eye_open=0.62, brow_y=0.05, curve=0.30, open=0.07, width=1.18, blush=0.8),
    "sad": FaceParams(eye_open=0.72, brow_y=-0.02, brow_inner=0.20, curve=-0.24, width=0.85),
    "angry": FaceParams(eye_open=0.62, brow_y=-0.08, brow_inner=-0.22, curve=-0.10, width=0.78),
    "surprised": FaceParams(eye_open=1.45, eye_size=1.12, brow_y=0.20, open=0.26, width=0.55, pupil=0.8),
    "afraid": FaceParams(
        eye_open=1.40, eye_size=1.05, brow_y=0.12, brow_inner=0.16, curve=-0.08, open=0.13, width=1.12, pupil=0.7
    ),
    "disgusted": FaceParams(eye_open=0.70, brow_y=-0.05, brow_inner=-0.08, curve=-0.12, width=0.9, asym=0.16),
}


def params_for(name: str, intensity: float) -> FaceParams:
    """Blend neutral -> expression by intensity (0..1)."""
    k = float(np.clip(intensity, 0.0, 1.0))
    base = EXPRESSION_PARAMS["neutral"]
    target = EXPRESSION_PARAMS.get(name, base)
    return replace(
        base,
        **{
            f.name: getattr(base, f.name) + k * (getattr(target, f.name) - getattr(base, f.name))
            for f in fields(FaceParams)
        },
    )


# Pixel grid in face units: x, y in [-1, 1], y up; row 0 is the bottom row (Panda's RAM order).
_c = (np.arange(SIZE) + 0.5) / SIZE * 2 - 1
_X, _Y = np.meshgrid(_c, _c)
_PX = 2.0 / SIZE


def _cover(dist: np.ndarray) -> np.ndarray:
    """Signed distance (face units) -> anti-aliased coverage 0..1."""
    return np.clip(0.5 - dist / _PX, 0.0, 1.0)


def _ellipse(cx, cy, a, b):
    a, b = max(a, 1e-3), max(b, 1e-3)
    r = np.sqrt(((_X - cx) / a) ** 2 + ((_Y - cy) / b) ** 2)
    return (r - 1.0) * min(a, b)


def _segment(x0, y0, x1, y1):
    px, py = _X - x0, _Y - y0
    dx, dy = x1 - x0, y1 - y0
    t = np.clip((px * dx + py * dy) / (dx * dx + dy * dy), 0, 1)
    return np.hypot(px - t * dx, py - t * dy)


def _curve(cx, cy, half_w, bend, asym, samples=24):
    """Distance to a mouth line y = cy + bend*((x-cx)/hw)^2 - bend/3 + asym*max(0,(x-cx)/hw)."""
    xs = np.linspace(-1, 1, samples)
    ys = cy + bend * xs**2 - bend / 3 + asym * np.maximum(0, xs) ** 1.5
    pts = np.stack([cx + xs * half_w, ys], axis=1)
    d = np.full(_X.shape, np.inf)
    for (x0, y0), (x1, y1) in zip(pts[:-1], pts[1:]):
        d = np.minimum(d, _segment(x0, y0, x1, y1))
    return d


def _over(img: np.ndarray, cover: np.ndarray, rgb, alpha: float = 1.0) -> None:
    a = (cover * alpha)[..., None]
    col = np.asarray(rgb[:3], dtype=np.float32)
    img[..., :3] = img[..., :3] * (1 - a) + col * a
    img[..., 3:] = img[..., 3:] * (1 - a) + a


def draw_face(p: FaceParams) -> np.ndarray:
    """Return an (SIZE, SIZE, 4) float32 RGBA image, transparent outside the features."""
    pal = theme.PALETTE
    img = np.zeros((SIZE, SIZE, 4), dtype=np.float32)
    feat = pal["feature"]
    if p.blush > 0.01:
        for sx in (-1, 1):
            g = np.exp(-(((_X - sx * 0.55) ** 2) + ((_Y + 0.18) ** 2) * 2.2) / 0.03)
            _over(img, g, pal["blush"], 0.45 * p.blush)
    # eyes: sclera, iris, soft outline
    ey, ea, eb = 0.10, 0.16 * p.eye_size, 0.115 * p.eye_size * p.eye_open
    for sx in (-1, 1):
        cx = sx * 0.36
        sclera = _ellipse(cx, ey, ea, eb)
        _over(img, _cover(sclera), pal["sclera"])
        iris = np.maximum(_ellipse(cx, ey - 0.005, 0.085 * p.eye_size * p.pupil, 0.085 * p.eye_size * p.pupil), sclera)
        _over(img, _cover(iris), pal["iris"])
        ring = np.abs(sclera + 0.012) - 0.016
        _over(img, _cover(ring), feat)
    # brows: a thick segment per side; inner end moved by brow_inner
    by = 0.36 + p.brow_y + (p.eye_open - 1) * 0.10
    for sx in (-1, 1):
        inner = (sx * 0.16, by + p.brow_inner)
        outer = (sx * 0.56, by - 0.02 - 0.3 * p.brow_inner)
        _over(img, _cover(_segment(*inner, *outer) - 0.038), feat)
    # mouth: a lip line; when open, the region between an upper and a lower lip
    mx, my, hw = 0.0, -0.46, 0.30 * p.width
    if p.open > 0.015:
        xs = np.clip((_X - mx) / hw, -1, 1)
        base = my + p.curve * xs**2 - p.curve / 3 + p.asym * np.maximum(0, xs) ** 1.5
        bulge = np.sqrt(np.clip(1 - xs**2, 0, 1))
        upper = base + p.open * 0.30 * bulge
        lower = base - p.open * 0.70 * bulge
        mouth = np.maximum.reduce([_Y - upper, lower - _Y, np.abs(_X - mx) - hw])
        _over(img, _cover(mouth), pal["mouth_inside"])
        _over(img, _cover(np.abs(mouth) - 0.017), feat)
    else:
        _over(img, _cover(_curve(mx, my, hw, p.curve, p.asym) - 0.03), feat)
    return img


MOUTH_STEPS = 4  # how open a speaking mouth is: 0 (closed, the expression's own) .. MOUTH_STEPS (wide)


def speaking(p: FaceParams, mouth: float) -> FaceParams:
    """The face with the mouth opened by the voice's level (0..1): the jaw drops, the lips round a little."""
    if mouth <= 0:
        return p
    return replace(p, open=p.open + 0.34 * mouth, width=p.width * (1.0 - 0.18 * mouth))


MOUTH_QUIET, MOUTH_LOUD = 0.3, 0.9  # voice levels (client/voice/link.py level_of) for closed and wide open


def mouth_step(level: float) -> int:
    """A voice level (0..1) as a mouth opening step: closed below MOUTH_QUIET (breath, room noise), wide
    open from MOUTH_LOUD, so the mouth opens and closes with the syllables of ordinary speech."""
    k = (float(level) - MOUTH_QUIET) / (MOUTH_LOUD - MOUTH_QUIET)
    return int(min(MOUTH_STEPS, max(0, math.ceil(k * MOUTH_STEPS))))


_CACHE: dict[tuple[str, int, int], Texture] = {}


def face_texture(name: str, intensity: float = 1.0, mouth: int = 0) -> Texture:
    """The cached texture for an expression at an intensity (quantised to 1/STEPS), with the mouth open
    by `mouth` steps of MOUTH_STEPS while the avatar speaks."""
    step = int(round(float(np.clip(intensity, 0, 1)) * STEPS))
    mouth = int(min(MOUTH_STEPS, max(0, mouth)))
    if name not in EXPRESSION_PARAMS:
        name = "neutral"
    if name == "neutral":
        step = 0
    key = (name, step, mouth)
    tex = _CACHE.get(key)
    if tex is None:
        img = draw_face(speaking(params_for(name, step / STEPS), mouth / MOUTH_STEPS))
        data = np.ascontiguousarray((np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8))
        tex = Texture(f"face-{name}-{step}-{mouth}")
        tex.setup2dTexture(SIZE, SIZE, Texture.T_unsigned_byte, Texture.F_rgba8)
        tex.setRamImageAs(data.tobytes(), "RGBA")
        tex.setMinfilter(SamplerState.FT_linear_mipmap_linear)
        tex.setMagfilter(SamplerState.FT_linear)
        tex.setWrapU(SamplerState.WM_clamp)
        tex.setWrapV(SamplerState.WM_clamp)
        _CACHE[key] = tex
    return tex
