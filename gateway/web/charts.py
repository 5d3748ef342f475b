"""Charts drawn on the server as SVG: no charting library, no script, nothing fetched.

Each chart is an `<svg role="img">` with a `<title>` (what a screen reader announces) and, for
every bar or point, a `<title>` with its exact value as the page shows it; the figures are also
in a table beside the chart. Colours come from console.css classes (the CSP forbids `style=`);
geometry is computed in integers from the amounts, so the same figures draw the same picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["Bar", "Series", "bar_chart", "line_chart"]

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 8, 8, 12, 44
LABEL_ROOM = 40  # half the width of a date label under a line chart's end points


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its label under it, its parts stacked from the bottom (values ≥ 0 drawn),
    each part (css class, value, text of its value)."""

    label: str
    parts: Sequence[tuple[str, int, str]]


@dataclass(frozen=True, slots=True)
class Series:
    """A line: its css class, its name, and per point (label, value, text of its value)."""

    css: str
    name: str
    points: Sequence[tuple[str, int, str]]


def _svg(title: str, body: list[str], legend: Sequence[tuple[str, str]]) -> Markup:
    keys = "".join(
        f'<li><svg class="key" width="12" height="12" aria-hidden="true">'
        f'<rect class="{escape(css)}" width="12" height="12"/></svg>{escape(name)}</li>'
        for css, name in legend
    )
    # Every text put in is escaped (escape() above and in the callers): S704 does not apply.
    return Markup(  # noqa: S704
        f'<figure class="chart"><svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'preserveAspectRatio="xMidYMid meet"><title>{escape(title)}</title>'
        + "".join(body)
        + "</svg>"
        + (f'<ul class="legend">{keys}</ul>' if legend else "")
        + "</figure>"
    )


def _scale(value: int, top: int, height: int) -> int:
    return 0 if top <= 0 else value * height // top


def bar_chart(title: str, bars: Sequence[Bar], legend: Sequence[tuple[str, str]] = ()) -> Markup:
    """Stacked bars side by side (negative parts, e.g. credits, are not drawn)."""
    plot_h = HEIGHT - TOP - BOTTOM
    top = max((sum(max(v, 0) for _, v, _ in b.parts) for b in bars), default=0)
    slot = (WIDTH - LEFT - RIGHT) // max(len(bars), 1)
    width = max(slot * 2 // 3, 2)
    body = [
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" '
        f'y2="{TOP + plot_h}"/>'
    ]
    for n, bar in enumerate(bars):
        x = LEFT + n * slot + (slot - width) // 2
        base = TOP + plot_h
        for css, value, shown in bar.parts:
            h = _scale(max(value, 0), top, plot_h)
            if h <= 0:
                continue
            base -= h
            body.append(
                f'<rect class="{escape(css)}" x="{x}" y="{base}" width="{width}" height="{h}">'
                f"<title>{escape(bar.label)}: {escape(shown)}</title></rect>"
            )
        body.append(
            f'<text class="tick" x="{x + width // 2}" y="{TOP + plot_h + 16}" '
            f'text-anchor="middle">{escape(bar.label)}</text>'
        )
    return _svg(title, body, legend)


def line_chart(title: str, series: Sequence[Series]) -> Markup:
    """Lines over the same points (labels of the first series under the axis)."""
    plot_h = HEIGHT - TOP - BOTTOM
    count = max((len(s.points) for s in series), default=0)
    top = max((v for s in series for _, v, _ in s.points), default=0)
    # Room for the labels under the first and last points; a single point stands in the middle.
    first_x, last_x = LEFT + LABEL_ROOM, WIDTH - RIGHT - LABEL_ROOM
    step = (last_x - first_x) // max(count - 1, 1)
    if count == 1:
        first_x = WIDTH // 2
    body = [
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" '
        f'y2="{TOP + plot_h}"/>'
    ]
    for s in series:
        coords = [
            (first_x + n * step, TOP + plot_h - _scale(max(v, 0), top, plot_h))
            for n, (_, v, _) in enumerate(s.points)
        ]
        if len(coords) > 1:
            path = " ".join(f"{x},{y}" for x, y in coords)
            body.append(f'<polyline class="{escape(s.css)}" points="{path}" fill="none"/>')
        for (x, y), (label, _, shown) in zip(coords, s.points, strict=True):
            body.append(
                f'<circle class="{escape(s.css)}" cx="{x}" cy="{y}" r="3">'
                f"<title>{escape(s.name)}, {escape(label)}: {escape(shown)}</title></circle>"
            )
    labels = series[0].points if series else []
    every = max(len(labels) // 8, 1)  # at most about eight labels under the axis
    for n, (label, _, _) in enumerate(labels):
        if n % every == 0 or n == len(labels) - 1:
            body.append(
                f'<text class="tick" x="{first_x + n * step}" y="{TOP + plot_h + 16}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    return _svg(title, body, [(s.css, s.name) for s in series])
