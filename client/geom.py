"""Procedural geometry: boxes, cylinders, spheres, flat discs (no downloaded models)."""

from __future__ import annotations

import math

from panda3d.core import Geom, GeomNode, GeomTriangles, GeomVertexData, GeomVertexFormat, GeomVertexWriter


class _Builder:
    def __init__(self, name: str):
        self.vd = GeomVertexData(name, GeomVertexFormat.getV3n3c4(), Geom.UHStatic)
        self.v = GeomVertexWriter(self.vd, "vertex")
        self.n = GeomVertexWriter(self.vd, "normal")
        self.c = GeomVertexWriter(self.vd, "color")
        self.tris = GeomTriangles(Geom.UHStatic)
        self.count = 0
        self.name = name

    def vert(self, p, n, c) -> int:
        self.v.addData3(*p)
        self.n.addData3(*n)
        self.c.addData4(*c)
        self.count += 1
        return self.count - 1

    def tri(self, a, b, c):
        self.tris.addVertices(a, b, c)

    def node(self) -> GeomNode:
        g = Geom(self.vd)
        g.addPrimitive(self.tris)
        gn = GeomNode(self.name)
        gn.addGeom(g)
        return gn


def box(sx: float, sy: float, sz: float, color, center=(0.0, 0.0, 0.0), name: str = "box") -> GeomNode:
    """An axis-aligned box of size (sx, sy, sz) centred on `center`."""
    b = _Builder(name)
    cx, cy, cz = center
    hx, hy, hz = sx / 2, sy / 2, sz / 2
    faces = [
        ((0, -1, 0), [(-1, -1, -1), (1, -1, -1), (1, -1, 1), (-1, -1, 1)]),
        ((0, 1, 0), [(1, 1, -1), (-1, 1, -1), (-1, 1, 1), (1, 1, 1)]),
        ((-1, 0, 0), [(-1, 1, -1), (-1, -1, -1), (-1, -1, 1), (-1, 1, 1)]),
        ((1, 0, 0), [(1, -1, -1), (1, 1, -1), (1, 1, 1), (1, -1, 1)]),
        ((0, 0, 1), [(-1, -1, 1), (1, -1, 1), (1, 1, 1), (-1, 1, 1)]),
        ((0, 0, -1), [(-1, 1, -1), (1, 1, -1), (1, -1, -1), (-1, -1, -1)]),
    ]
    for normal, corners in faces:
        i = [b.vert((cx + x * hx, cy + y * hy, cz + z * hz), normal, color) for x, y, z in corners]
        b.tri(i[0], i[1], i[2])
        b.tri(i[0], i[2], i[3])
    return b.node()


def cylinder(
    radius: float,
    height: float,
    color,
    segments: int = 16,
    center=(0.0, 0.0, 0.0),
    top_radius: float | None = None,
    name: str = "cylinder",
) -> GeomNode:
    """A capped cylinder (or cone frustum) standing on z = center.z, axis +Z."""
    b = _Builder(name)
    cx, cy, cz = center
    rt = radius if top_radius is None else top_radius
    slope = (radius - rt) / height if height else 0.0
    ring_b, ring_t = [], []
    for k in range(segments + 1):
        a = 2 * math.pi * k / segments
        ca, sa = math.cos(a), math.sin(a)
        nl = math.sqrt(1 + slope * slope)
        n = (ca / nl, sa / nl, slope / nl)
        ring_b.append(b.vert((cx + radius * ca, cy + radius * sa, cz), n, color))
        ring_t.append(b.vert((cx + rt * ca, cy + rt * sa, cz + height), n, color))
    for k in range(segments):
        b.tri(ring_b[k], ring_b[k + 1], ring_t[k + 1])
        b.tri(ring_b[k], ring_t[k + 1], ring_t[k])
    for z, r, nz in ((cz + height, rt, 1), (cz, radius, -1)):
        if r <= 0:
            continue
        c0 = b.vert((cx, cy, z), (0, 0, nz), color)
        rim = [
            b.vert(
                (cx + r * math.cos(2 * math.pi * k / segments), cy + r * math.sin(2 * math.pi * k / segments), z),
                (0, 0, nz),
                color,
            )
            for k in range(segments + 1)
        ]
        for k in range(segments):
            if nz > 0:
                b.tri(c0, rim[k], rim[k + 1])
            else:
                b.tri(c0, rim[k + 1], rim[k])
    return b.node()


def sphere(
    radius: float,
    color,
    rings: int = 10,
    segments: int = 16,
    center=(0.0, 0.0, 0.0),
    scale=(1.0, 1.0, 1.0),
    name: str = "sphere",
) -> GeomNode:
    b = _Builder(name)
    cx, cy, cz = center
    sx, sy, sz = scale
    rows = []
    for r in range(rings + 1):
        phi = math.pi * r / rings
        row = []
        for k in range(segments + 1):
            th = 2 * math.pi * k / segments
            n = (math.sin(phi) * math.cos(th), math.sin(phi) * math.sin(th), math.cos(phi))
            row.append(b.vert((cx + radius * sx * n[0], cy + radius * sy * n[1], cz + radius * sz * n[2]), n, color))
        rows.append(row)
    for r in range(rings):
        for k in range(segments):
            a, bb, c, d = rows[r][k], rows[r][k + 1], rows[r + 1][k + 1], rows[r + 1][k]
            b.tri(a, d, c)
            b.tri(a, c, bb)
    return b.node()


def quad(width: float, height: float, color, name: str = "quad") -> GeomNode:
    """A one-sided upright quad in the XZ plane facing -Y (towards a default camera)."""
    b = _Builder(name)
    w, h = width / 2, height / 2
    i = [b.vert(p, (0, -1, 0), color) for p in ((-w, 0, -h), (w, 0, -h), (w, 0, h), (-w, 0, h))]
    b.tri(i[0], i[1], i[2])
    b.tri(i[0], i[2], i[3])
    return b.node()


def floor(width: float, depth: float, color, name: str = "floor", tiles: int = 1, alt_color=None) -> GeomNode:
    """A flat floor in the XY plane at z=0, optionally a gentle two-tone checker."""
    b = _Builder(name)
    alt = alt_color or color
    tw, td = width / tiles, depth / tiles
    for i in range(tiles):
        for j in range(tiles):
            c = color if (i + j) % 2 == 0 else alt
            x0, y0 = -width / 2 + i * tw, -depth / 2 + j * td
            corners = ((x0, y0, 0), (x0 + tw, y0, 0), (x0 + tw, y0 + td, 0), (x0, y0 + td, 0))
            k = [b.vert(p, (0, 0, 1), c) for p in corners]
            b.tri(k[0], k[1], k[2])
            b.tri(k[0], k[2], k[3])
    return b.node()


def disc(radius: float, color, segments: int = 32, z: float = 0.0, name: str = "disc") -> GeomNode:
    b = _Builder(name)
    c0 = b.vert((0, 0, z), (0, 0, 1), color)
    rim = [
        b.vert(
            (radius * math.cos(2 * math.pi * k / segments), radius * math.sin(2 * math.pi * k / segments), z),
            (0, 0, 1),
            color,
        )
        for k in range(segments + 1)
    ]
    for k in range(segments):
        b.tri(c0, rim[k], rim[k + 1])
    return b.node()
