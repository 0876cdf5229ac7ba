"""The three scenes (wire.events.SCENES), built from procedural geometry only.

Rooms are 24 x 24 m (the server clamps to +-12 m) centred on the origin; walls are one-sided and face
inwards, so a third-person camera outside a wall still sees in. Colours are
soft and light is even: nothing flashes or moves by itself.
"""

from __future__ import annotations

from panda3d.core import AmbientLight, DirectionalLight, NodePath, TransparencyAttrib

from .. import geom

ROOM_HALF = 12.0  # matches the server default room_half_extent


def _c(r, g, b, a=1.0):
    return (r, g, b, a)


def _walls(root: NodePath, color, height=3.2, half=ROOM_HALF, open_south=False):
    for name, pos, h in (
        ("north", (0, half, height / 2), 0),
        ("east", (half, 0, height / 2), 90),
        ("west", (-half, 0, height / 2), -90),
        ("south", (0, -half, height / 2), 180),
    ):
        if open_south and name == "south":
            continue
        w = root.attachNewNode(geom.quad(2 * half, height, color, name=f"wall-{name}"))
        # quad faces -Y; a wall on the north side must face south (towards the room centre)
        w.setH(h + 180)
        w.setPos(*pos)
        # one-sided: from outside the room the wall is invisible
    root.attachNewNode(geom.box(2 * half, 0.12, 0.12, _c(0.9, 0.88, 0.84), center=(0, half - 0.06, 0.06)))


TABLE_TOP, TABLE_LEG, CHAIR = _c(0.72, 0.56, 0.42), _c(0.45, 0.38, 0.34), _c(0.62, 0.5, 0.42)


def _table(root, x, y, top=TABLE_TOP, leg=TABLE_LEG, radius=0.5, h=0.76):
    t = root.attachNewNode("table")
    t.setPos(x, y, 0)
    t.attachNewNode(geom.cylinder(radius, 0.05, top, segments=20, center=(0, 0, h)))
    t.attachNewNode(geom.cylinder(0.05, h, leg, segments=8))
    t.attachNewNode(geom.cylinder(0.28, 0.03, leg, segments=12))
    return t


def _chair(root, x, y, heading, color=CHAIR):
    c = root.attachNewNode("chair")
    c.setPos(x, y, 0)
    c.setH(heading)
    c.attachNewNode(geom.box(0.44, 0.44, 0.06, color, center=(0, 0, 0.46)))
    c.attachNewNode(geom.box(0.44, 0.06, 0.5, color, center=(0, -0.2, 0.74)))
    for sx in (-0.18, 0.18):
        for sy in (-0.18, 0.18):
            c.attachNewNode(geom.box(0.04, 0.04, 0.46, color, center=(sx, sy, 0.23)))
    return c


def _plant(root, x, y, scale=1.0):
    p = root.attachNewNode("plant")
    p.setPos(x, y, 0)
    p.setScale(scale)
    p.attachNewNode(geom.cylinder(0.22, 0.4, _c(0.78, 0.6, 0.5), segments=12, top_radius=0.26))
    p.attachNewNode(geom.sphere(0.42, _c(0.48, 0.66, 0.5), center=(0, 0, 0.85), scale=(1, 1, 1.2)))
    return p


def _window(root, x, y, heading, w=2.2, h=1.4, z=1.7):
    win = root.attachNewNode(geom.quad(w, h, _c(0.74, 0.86, 0.92)))
    win.setPos(x, y, z)
    win.setH(heading)
    win.setLightOff()
    frame = root.attachNewNode(geom.quad(w + 0.16, h + 0.16, _c(0.92, 0.9, 0.86)))
    frame.setPos(x, y, z)
    frame.setH(heading)
    frame.setDepthOffset(-1)
    win.setDepthOffset(1)


def cafe(root: NodePath):
    root.attachNewNode(
        geom.floor(2 * ROOM_HALF, 2 * ROOM_HALF, _c(0.74, 0.62, 0.5), tiles=14, alt_color=_c(0.71, 0.59, 0.47))
    )
    _walls(root, _c(0.93, 0.88, 0.8))
    # counter along the north wall
    root.attachNewNode(geom.box(4.5, 0.8, 1.05, _c(0.6, 0.46, 0.38), center=(-2.0, ROOM_HALF - 0.9, 0.525)))
    root.attachNewNode(geom.box(4.6, 0.9, 0.05, _c(0.88, 0.84, 0.78), center=(-2.0, ROOM_HALF - 0.9, 1.07)))
    for x in (-3.5, -2.5, -1.5):
        root.attachNewNode(
            geom.cylinder(0.1, 0.22, _c(0.95, 0.93, 0.88), segments=10, center=(x, ROOM_HALF - 0.9, 1.1))
        )
    for x, y in ((-3.2, -1.5), (3.0, -1.0), (3.2, 3.0), (-3.0, 2.2)):
        _table(root, x, y)
        _chair(root, x, y - 0.8, 0)
        _chair(root, x, y + 0.8, 180)
    _window(root, ROOM_HALF - 0.01, 0.0, 90)
    _window(root, -ROOM_HALF + 0.01, 0.0, -90)
    _plant(root, ROOM_HALF - 0.8, ROOM_HALF - 0.8)
    _plant(root, -ROOM_HALF + 0.8, -ROOM_HALF + 0.8)
    _plant(root, ROOM_HALF - 0.8, -ROOM_HALF + 0.8, 0.8)


def office(root: NodePath):
    root.attachNewNode(geom.floor(2 * ROOM_HALF, 2 * ROOM_HALF, _c(0.6, 0.64, 0.7)))
    _walls(root, _c(0.9, 0.91, 0.9))
    # interview desk in the middle: interviewer sits north, candidate south
    root.attachNewNode(geom.box(2.0, 0.9, 0.05, _c(0.78, 0.68, 0.56), center=(0, 1.5, 0.76)))
    for sx in (-0.9, 0.9):
        root.attachNewNode(geom.box(0.06, 0.8, 0.74, _c(0.5, 0.46, 0.44), center=(sx, 1.5, 0.37)))
    root.attachNewNode(geom.box(0.5, 0.35, 0.03, _c(0.95, 0.95, 0.93), center=(0.4, 1.4, 0.8)))
    _chair(root, 0, 2.3, 180, _c(0.35, 0.4, 0.5))
    _chair(root, 0, 0.5, 0, _c(0.35, 0.4, 0.5))
    # bookshelf and whiteboard
    shelf = root.attachNewNode("shelf")
    shelf.attachNewNode(geom.box(2.4, 0.4, 2.0, _c(0.66, 0.54, 0.44), center=(-4.2, ROOM_HALF - 0.25, 1.0)))
    for k, z in enumerate((0.45, 1.05, 1.6)):
        for j in range(7):
            col = (_c(0.55, 0.64, 0.72), _c(0.75, 0.62, 0.56), _c(0.62, 0.7, 0.6))[(j + k) % 3]
            shelf.attachNewNode(geom.box(0.22, 0.3, 0.4, col, center=(-5.1 + j * 0.3, ROOM_HALF - 0.48, z + 0.2)))
    wb = root.attachNewNode(geom.quad(2.6, 1.3, _c(0.97, 0.97, 0.95)))
    wb.setPos(2.8, ROOM_HALF - 0.02, 1.6)
    wb.setH(180)
    _window(root, ROOM_HALF - 0.01, 1.5, 90, w=3.0)
    _plant(root, ROOM_HALF - 0.8, ROOM_HALF - 0.8)
    _plant(root, -6.2, 1.0, 0.9)
    for x in (-1.6, 1.6):
        _chair(root, x, -4.5, 0, _c(0.55, 0.6, 0.66))


def park(root: NodePath):
    root.attachNewNode(
        geom.floor(4 * ROOM_HALF, 4 * ROOM_HALF, _c(0.6, 0.74, 0.52), tiles=8, alt_color=_c(0.58, 0.72, 0.5))
    )
    path = root.attachNewNode(geom.box(2.2, 4 * ROOM_HALF, 0.02, _c(0.86, 0.8, 0.68), center=(0, 0, 0.01)))
    path.setH(20)
    pond = root.attachNewNode(geom.disc(2.4, _c(0.56, 0.74, 0.84), z=0.02))
    pond.setPos(-4.5, 3.5, 0)
    pond.setSy(0.7)
    # bench facing south, by the path
    bench = root.attachNewNode("bench")
    bench.setPos(2.2, 1.5, 0)
    wood = _c(0.68, 0.52, 0.38)
    bench.attachNewNode(geom.box(1.8, 0.5, 0.06, wood, center=(0, 0, 0.46)))
    bench.attachNewNode(geom.box(1.8, 0.06, 0.45, wood, center=(0, 0.24, 0.75)))
    for sx in (-0.8, 0.8):
        bench.attachNewNode(geom.box(0.06, 0.5, 0.46, _c(0.35, 0.36, 0.38), center=(sx, 0, 0.23)))
    for x, y, s in ((5, 5, 1.2), (-5.5, -4, 1.0), (6, -3, 0.9), (-2, 7.5, 1.3), (4.5, 9, 1.1), (-8, 2, 1.0)):
        t = root.attachNewNode("tree")
        t.setPos(x, y, 0)
        t.setScale(s)
        t.attachNewNode(geom.cylinder(0.18, 1.8, _c(0.5, 0.4, 0.32), segments=10))
        t.attachNewNode(geom.sphere(1.1, _c(0.44, 0.62, 0.44), center=(0, 0, 2.5), scale=(1, 1, 1.1)))
    for x, y in ((-1.5, -3.0), (1.2, -5.5), (3.8, 4.0)):
        f = root.attachNewNode(geom.sphere(0.35, _c(0.86, 0.72, 0.78), center=(x, y, 0.18), scale=(1, 1, 0.5)))
        f.setTransparency(TransparencyAttrib.MNone)


SCENE_BUILDERS = {"cafe": cafe, "office": office, "park": park}
SKY = {"cafe": (0.86, 0.82, 0.76, 1), "office": (0.84, 0.86, 0.88, 1), "park": (0.76, 0.86, 0.92, 1)}


def build_scene(name: str, parent: NodePath) -> NodePath:
    """Build scene `name` (falls back to the cafe) under `parent`, with calm, even lighting."""
    root = parent.attachNewNode(f"scene-{name}")
    geometry = root.attachNewNode("geometry")
    SCENE_BUILDERS.get(name, cafe)(geometry)
    geometry.flattenStrong()  # static: a few large Geoms instead of hundreds of small ones
    amb = AmbientLight("ambient")
    amb.setColor((0.55, 0.55, 0.58, 1))
    sun = DirectionalLight("sun")
    sun.setColor((0.55, 0.53, 0.5, 1))
    sun_np = root.attachNewNode(sun)
    sun_np.setHpr(30, -55, 0)
    fill = DirectionalLight("fill")
    fill.setColor((0.18, 0.2, 0.24, 1))
    fill_np = root.attachNewNode(fill)
    fill_np.setHpr(-150, -30, 0)
    parent.setLightOff()  # only these lights: a replay's scene sits under render, which has the live room's
    parent.setLight(root.attachNewNode(amb))
    parent.setLight(sun_np)
    parent.setLight(fill_np)
    root.setPythonTag("sky", SKY.get(name, SKY["cafe"]))
    return root
