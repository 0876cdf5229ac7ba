"""Small server-side SVG line plots (no plotting dependency): progress over sessions."""

from __future__ import annotations

from html import escape

COLOURS = ("#3b6e8f", "#c0703a", "#5a8a5a", "#8a5a8a")


def line_plot(title: str, series: dict[str, list[float | None]], labels: list[str], y_max: float = 1.0,
              percent: bool = True, width: int = 520, height: int = 220) -> str:
    """series: name -> values (None = no data that session); labels: one per session."""
    left, right, top, bottom = 46, 14, 30, 34
    w, h = width - left - right, height - top - bottom
    n = max(1, len(labels))

    def x(i: int) -> float:
        return left + (w * (i / (n - 1)) if n > 1 else w / 2)

    def y(v: float) -> float:
        return top + h * (1 - max(0.0, min(v, y_max)) / y_max)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" role="img" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" aria-label="{escape(title)}">',
           f'<title>{escape(title)}</title>',
           f'<text x="{left}" y="18" class="plot-title">{escape(title)}</text>']
    for k in range(5):
        v = y_max * k / 4
        yy = y(v)
        label = f"{round(100 * v / y_max)}%" if percent else f"{v:g}"
        out.append(f'<line x1="{left}" x2="{left + w}" y1="{yy:.1f}" y2="{yy:.1f}" class="grid"/>')
        out.append(f'<text x="{left - 6}" y="{yy + 4:.1f}" class="axis" text-anchor="end">{label}</text>')
    for i, lab in enumerate(labels):
        out.append(f'<text x="{x(i):.1f}" y="{top + h + 18}" class="axis" text-anchor="middle">{escape(lab)}</text>')
    for si, (name, values) in enumerate(series.items()):
        colour = COLOURS[si % len(COLOURS)]
        pts = [(x(i), y(v)) for i, v in enumerate(values) if v is not None]
        if len(pts) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="3" '
                       f'stroke-linejoin="round" stroke-linecap="round"/>')
        for px, py in pts:
            out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="5" fill="{colour}"/>')
        lx = width - right - 120 * (len(series) - si)
        out.append(f'<rect x="{lx}" y="10" width="12" height="4" fill="{colour}"/>'
                   f'<text x="{lx + 16}" y="16" class="axis">{escape(name)}</text>')
    if not any(v is not None for vs in series.values() for v in vs):
        out.append(f'<text x="{left + w / 2}" y="{top + h / 2}" class="axis" text-anchor="middle">No data yet</text>')
    out.append("</svg>")
    return "".join(out)
