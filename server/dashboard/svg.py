"""Small server-side SVG line plots (no plotting dependency): progress over sessions.

`line_plot` only does the arithmetic: it returns a `Plot` of positions and already-formatted numbers,
and templates/_plot.html draws it. Every piece of text (the title, the session labels, the series
names) stays a plain string, so the template's autoescaping covers it like any other text on the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

COLOURS = ("#3b6e8f", "#c0703a", "#5a8a5a", "#8a5a8a")


@dataclass
class Series:
    name: str
    colour: str
    points: list[tuple[str, str]]  # (x, y), formatted with one decimal
    legend_x: int

    @property
    def path(self) -> str:
        return " ".join(f"{x},{y}" for x, y in self.points)


@dataclass
class Plot:
    title: str
    width: int
    height: int
    left: int
    axis_x: int  # right edge of the y-axis labels
    plot_right: int  # x of the right end of the grid lines
    label_y: int  # baseline of the session labels under the plot
    centre: tuple[float, float]  # where "No data yet" goes
    grid: list[tuple[str, str, str]] = field(default_factory=list)  # (y of the line, y of its label, label)
    labels: list[tuple[str, str]] = field(default_factory=list)  # (x, session label)
    series: list[Series] = field(default_factory=list)
    empty: bool = True


def line_plot(
    title: str,
    series: dict[str, list[float | None]],
    labels: list[str],
    y_max: float = 1.0,
    percent: bool = True,
    width: int = 520,
    height: int = 220,
) -> Plot:
    """series: name -> values (None = no data that session); labels: one per session."""
    left, right, top, bottom = 46, 14, 30, 34
    w, h = width - left - right, height - top - bottom
    n = max(1, len(labels))

    def x(i: int) -> float:
        return left + (w * (i / (n - 1)) if n > 1 else w / 2)

    def y(v: float) -> float:
        return top + h * (1 - max(0.0, min(v, y_max)) / y_max)

    plot = Plot(
        title=title,
        width=width,
        height=height,
        left=left,
        axis_x=left - 6,
        plot_right=left + w,
        label_y=top + h + 18,
        centre=(left + w / 2, top + h / 2),
    )
    for k in range(5):
        v = y_max * k / 4
        plot.grid.append((f"{y(v):.1f}", f"{y(v) + 4:.1f}", f"{round(100 * v / y_max)}%" if percent else f"{v:g}"))
    plot.labels = [(f"{x(i):.1f}", lab) for i, lab in enumerate(labels)]
    for si, (name, values) in enumerate(series.items()):
        pts = [(f"{x(i):.1f}", f"{y(v):.1f}") for i, v in enumerate(values) if v is not None]
        plot.series.append(
            Series(
                name=name,
                colour=COLOURS[si % len(COLOURS)],
                points=pts,
                legend_x=width - right - 120 * (len(series) - si),
            )
        )
    plot.empty = not any(v is not None for vs in series.values() for v in vs)
    return plot
