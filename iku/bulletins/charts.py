"""Static inline SVG charts for the bulletins, built as plain strings: same data, same bytes.

No plotting library, no ids, no dates, no random salts: every coordinate is rounded to one
decimal and every label goes through the Indonesian formatting filters, so a chart is a pure
function of its data and can be compared byte for byte.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from iku.formatting import angka

FONT = "IKU Sans, DejaVu Sans Condensed, sans-serif"
AXIS_COLOR = "#6b7280"
GRID_COLOR = "#e5e7eb"
LINE_COLOR = "#1f3a93"
MISSING_COLOR = "#9ca3af"


@dataclass(frozen=True)
class BandArea:
    """A predikat band drawn behind a capaian axis: ``[lower, upper)`` in percent."""

    code: str
    lower: float | None
    upper: float | None
    color: str


def _n(value: float) -> str:
    """A coordinate with one decimal, never ``-0.0``."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def _text(
    x: float,
    y: float,
    content: str,
    *,
    size: float = 9,
    anchor: str = "start",
    color: str = "#111827",
    weight: str = "normal",
) -> str:
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" text-anchor="{anchor}" '
        f'fill="{color}" font-weight="{weight}">{escape(content)}</text>'
    )


def _svg(width: float, height: float, label: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{_n(width)}" '
        f'height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}" role="img" '
        f'aria-label={quoteattr(label)} font-family="{FONT}">'
        f"<title>{escape(label)}</title>" + "".join(body) + "</svg>"
    )


def _axis_max(values: Sequence[float], floor: float = 120.0, step: float = 20.0) -> float:
    top = max([floor, *values])
    return math.ceil(top / step) * step


def trend_chart(
    points: Sequence[tuple[str, float | None]],
    bands: Sequence[BandArea],
    *,
    label: str,
    width: float = 520,
    height: float = 190,
) -> str:
    """A capaian line over periods on the predikat bands; ``None`` breaks the line."""
    left, right, top, bottom = 34.0, 10.0, 10.0, 24.0
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, v in points if v is not None]
    y_max = _axis_max(values)

    def y_of(value: float) -> float:
        clipped = min(max(value, 0.0), y_max)
        return top + plot_h - clipped / y_max * plot_h

    body: list[str] = []
    for band in bands:
        low = 0.0 if band.lower is None else max(band.lower, 0.0)
        high = y_max if band.upper is None else min(band.upper, y_max)
        if high <= low:
            continue
        body.append(
            f'<rect x="{_n(left)}" y="{_n(y_of(high))}" width="{_n(plot_w)}" '
            f'height="{_n(y_of(low) - y_of(high))}" fill="{band.color}" fill-opacity="0.13"/>'
        )
    tick = 0.0
    while tick <= y_max:
        y = y_of(tick)
        body.append(
            f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(left + plot_w)}" y2="{_n(y)}" '
            f'stroke="{GRID_COLOR}" stroke-width="0.6"/>'
        )
        body.append(_text(left - 4, y + 3, angka(tick, 0), size=8, anchor="end", color=AXIS_COLOR))
        tick += 20.0
    count = len(points)
    step = plot_w / count if count else plot_w
    xs = [left + step * (i + 0.5) for i in range(count)]
    segment: list[str] = []
    segments: list[list[str]] = []
    for x, (_, value) in zip(xs, points, strict=True):
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{_n(x)},{_n(y_of(value))}")
    if segment:
        segments.append(segment)
    for line in segments:
        if len(line) > 1:
            body.append(
                f'<polyline points="{" ".join(line)}" fill="none" stroke="{LINE_COLOR}" '
                'stroke-width="1.8"/>'
            )
    for x, (period_label, value) in zip(xs, points, strict=True):
        body.append(_text(x, top + plot_h + 14, period_label, size=8, anchor="middle"))
        if value is None:
            body.append(
                _text(x, top + plot_h - 4, "–", size=8, anchor="middle", color=MISSING_COLOR)
            )
            continue
        y = y_of(value)
        body.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="2.6" fill="{LINE_COLOR}"/>')
        body.append(_text(x, y - 5, angka(value, 1), size=7.5, anchor="middle"))
    return _svg(width, height, label, body)


def ranking_chart(
    items: Sequence[tuple[str, float | None, str]],
    *,
    label: str,
    width: float = 520,
    bar_height: float = 11,
    limit: int = 30,
) -> str:
    """Horizontal capaian bars, best first: ``(name, capaian or None, colour)``.

    More than ``limit`` items: the best and the worst ``limit // 2`` with a gap row between
    (the bulletin's table lists them all).
    """
    rows: list[tuple[str, float | None, str] | None] = list(items)
    if len(rows) > limit:
        half = limit // 2
        rows = [*rows[:half], None, *rows[-half:]]
    label_w, value_w, gap = 118.0, 44.0, 3.0
    plot_w = width - label_w - value_w
    values = [r[1] for r in rows if r is not None and r[1] is not None]
    x_max = _axis_max(values)
    height = len(rows) * (bar_height + gap) + 6
    body: list[str] = []
    for index, row in enumerate(rows):
        y = 3 + index * (bar_height + gap)
        middle = y + bar_height / 2 + 3
        if row is None:
            body.append(_text(label_w - 6, middle, "…", anchor="end", color=AXIS_COLOR))
            continue
        name, value, color = row
        body.append(_text(label_w - 6, middle, name, size=8, anchor="end"))
        if value is None:
            body.append(_text(label_w, middle, "tidak ada angka", size=8, color=MISSING_COLOR))
            continue
        bar = max(min(value, x_max), 0.0) / x_max * plot_w
        body.append(
            f'<rect x="{_n(label_w)}" y="{_n(y)}" width="{_n(bar)}" height="{_n(bar_height)}" '
            f'fill="{color}"/>'
        )
        body.append(_text(label_w + bar + 4, middle, angka(value, 2), size=8))
    return _svg(width, height, label, body)


def distribution_chart(
    items: Sequence[tuple[str, int, str]],
    *,
    label: str,
    width: float = 260,
    height: float = 150,
) -> str:
    """Vertical bars of counts per predikat: ``(band code, count, colour)``."""
    left, top, bottom = 8.0, 16.0, 22.0
    plot_w, plot_h = width - 2 * left, height - top - bottom
    top_count = max([1, *(count for _, count, _ in items)])
    slot = plot_w / max(len(items), 1)
    bar_w = slot * 0.62
    body: list[str] = [
        f'<line x1="{_n(left)}" y1="{_n(top + plot_h)}" x2="{_n(left + plot_w)}" '
        f'y2="{_n(top + plot_h)}" stroke="{AXIS_COLOR}" stroke-width="0.8"/>'
    ]
    for index, (code, count, color) in enumerate(items):
        x = left + slot * index + (slot - bar_w) / 2
        bar = count / top_count * plot_h
        y = top + plot_h - bar
        body.append(
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(bar_w)}" height="{_n(bar)}" fill="{color}"/>'
        )
        body.append(_text(x + bar_w / 2, y - 4, angka(count, 0), size=9, anchor="middle"))
        body.append(
            _text(x + bar_w / 2, top + plot_h + 14, code, size=9, anchor="middle", weight="bold")
        )
    return _svg(width, height, label, body)


def sparkline(
    values: Sequence[float | None],
    *,
    label: str,
    width: float = 92,
    height: float = 24,
) -> str:
    """A small capaian line (oldest to newest); the last point is marked."""
    pad = 3.0
    known = [v for v in values if v is not None]
    body: list[str] = []
    if not known:
        body.append(_text(width / 2, height / 2 + 3, "–", size=9, anchor="middle"))
        return _svg(width, height, label, body)
    low, high = min(known), max(known)
    span = high - low or 1.0
    count = len(values)
    step = (width - 2 * pad) / (count - 1) if count > 1 else 0.0

    def point(index: int, value: float) -> tuple[float, float]:
        x = pad + step * index if count > 1 else width / 2
        y = height - pad - (value - low) / span * (height - 2 * pad)
        return x, y

    coordinates = [point(i, v) for i, v in enumerate(values) if v is not None]
    if len(coordinates) > 1:
        joined = " ".join(f"{_n(x)},{_n(y)}" for x, y in coordinates)
        body.append(
            f'<polyline points="{joined}" fill="none" stroke="{LINE_COLOR}" stroke-width="1.2"/>'
        )
    last_x, last_y = coordinates[-1]
    body.append(f'<circle cx="{_n(last_x)}" cy="{_n(last_y)}" r="2" fill="{LINE_COLOR}"/>')
    return _svg(width, height, label, body)
