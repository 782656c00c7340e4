"""The referral pack's attendance chart: an inline SVG built as a string, nothing fetched.

Bars: the unauthorised sessions in each school week. Line: the unauthorised sessions in the
rolling window of 10 school weeks ending that week. Dashed: the national threshold. The SVG is
plain markup (no scripts, no external fonts or images), so it can go inline in the pack's HTML
and WeasyPrint lays it out like the rest of the page; the same weeks give the same string.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from attendance.threshold import THRESHOLD_WEEKS
from attendance.ukdates import MONTHS
from casework.packview import WeekPoint

FONT = "DejaVu Sans, sans-serif"
BAR = "#9aa5b1"
LINE = "#1f3a5f"
THRESHOLD = "#b00020"
AXIS = "#333333"
GRID = "#dddddd"
PERIOD = "#fbe9c6"  # a Notice to Improve's improvement period, behind the bars

# Room around the plot: the scale on the left, the legend above, the week labels below.
LEFT, RIGHT, TOP, BOTTOM = 34.0, 12.0, 34.0, 30.0
FONT_SIZE = 10.0
CHAR_WIDTH = 0.62 * FONT_SIZE  # a generous average advance for DejaVu Sans at FONT_SIZE


def _num(x: float) -> str:
    """A coordinate with at most two decimals and no float noise: the same input, same text."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _text(x: float, y: float, content: str, *, anchor: str = "start", **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in sorted(attrs.items()))
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}"{extra}>'
        f"{escape(content, quote=False)}</text>"
    )


def week_label(monday: date) -> str:
    """The week's label, "3 Mar": no leading zero, and English whatever the locale (no %b)."""
    return f"{monday.day} {MONTHS[monday.month - 1]}"


def nice_step(top: int, ticks: int = 5) -> int:
    """A 1-2-5 step giving at most about `ticks` intervals from 0 to `top`."""
    raw = max(top, 1) / ticks
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    for multiple in (1, 2, 5, 10):
        step = multiple * magnitude
        if step >= raw:
            return int(step)
    return 10 * magnitude


def label_every(count: int, slot: float, longest: int) -> int:
    """Show every n-th week label so that labels (plus a gap) never overlap."""
    if count == 0:
        return 1
    needed = longest * CHAR_WIDTH + 6.0
    return max(1, math.ceil(needed / slot))


def _open(width: int, height: int, description: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(description)}" '
        f'font-family="{FONT}" font-size="{_num(FONT_SIZE)}">',
        f"<title>{escape(description, quote=False)}</title>",
    ]


@dataclass(frozen=True)
class _Plot:
    """Where the plot sits in the SVG, and how a week and a session count map onto it."""

    left: float
    right: float
    top: float
    bottom: float
    highest: int  # the value at the top of the scale
    step: int  # between the scale's lines
    slot: float  # the width of one week

    @property
    def width(self) -> float:
        return self.right - self.left

    def y(self, value: float) -> float:
        return self.bottom - (self.bottom - self.top) * value / self.highest

    def middle(self, i: int) -> float:
        """The x of the middle of the i-th week."""
        return self.left + (i + 0.5) * self.slot


def _plot(weeks: Sequence[WeekPoint], threshold: int, width: int, height: int) -> _Plot:
    highest = max(threshold, *(w.unauthorised for w in weeks), *(w.window_total for w in weeks))
    step = nice_step(highest)
    top = step * math.ceil(max(highest, 1) / step)
    if top == highest:  # leave headroom so the highest point and its label stay in the plot
        top += step
    slot = (width - RIGHT - LEFT) / len(weeks)
    return _Plot(LEFT, width - RIGHT, TOP, height - BOTTOM, top, step, slot)


@dataclass(frozen=True)
class Band:
    """A stretch of days shaded behind the bars: a Notice to Improve's improvement period."""

    start: date
    end: date
    label: str  # short: "NTI 1"


def attendance_chart_svg(
    weeks: Sequence[WeekPoint],
    threshold: int,
    width: int = 680,
    height: int = 260,
    bands: Sequence[Band] = (),
) -> str:
    """The pupil's unauthorised absence by school week, as an SVG string (see the module)."""
    parts = _open(width, height, "Unauthorised absence by school week")
    if not weeks:
        parts += _no_registers(width, height)
    else:
        plot = _plot(weeks, threshold, width, height)
        parts += [
            *_bands(plot, weeks, bands),
            *_scale(plot),
            *_bars(plot, weeks),
            *_threshold(plot, threshold),
            *_window(plot, weeks, threshold),
            _axes(plot),
            *_week_labels(plot, weeks, height),
            *_legend(plot),
            *(_band_legend(plot) if parts_with(bands, weeks) else []),
        ]
    parts.append("</svg>")
    return "\n".join(parts)


def parts_with(bands: Sequence[Band], weeks: Sequence[WeekPoint]) -> bool:
    """Whether any band touches a week shown."""
    return any(
        w.monday <= b.end and b.start <= w.monday + timedelta(days=4) for b in bands for w in weeks
    )


def _bands(plot: _Plot, weeks: Sequence[WeekPoint], bands: Sequence[Band]) -> list[str]:
    """Each period shaded over the school weeks it touches, labelled at its top left."""
    parts = []
    for band in bands:
        touched = [
            i
            for i, w in enumerate(weeks)
            if w.monday <= band.end and band.start <= w.monday + timedelta(days=4)
        ]
        if not touched:
            continue
        x = plot.left + touched[0] * plot.slot
        w = (touched[-1] - touched[0] + 1) * plot.slot
        parts += [
            f'<rect class="period" x="{_num(x)}" y="{_num(plot.top)}" width="{_num(w)}" '
            f'height="{_num(plot.bottom - plot.top)}" fill="{PERIOD}"/>',
            _text(x + 3, plot.top + 11, band.label, fill=LINE, font_size="9"),
        ]
    return parts


def _no_registers(width: int, height: int) -> list[str]:
    return [
        f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" '
        f'fill="none" stroke="{GRID}"/>',
        _text(width / 2, height / 2, "No registers imported", anchor="middle"),
    ]


def _scale(plot: _Plot) -> list[str]:
    """Grid and y-axis scale."""
    values = range(0, plot.highest + 1, plot.step)
    return [
        f'<g class="scale" stroke="{GRID}" stroke-width="0.6">',
        *(
            f'<line x1="{_num(plot.left)}" y1="{_num(plot.y(value))}" '
            f'x2="{_num(plot.right)}" y2="{_num(plot.y(value))}"/>'
            for value in values
        ),
        "</g>",
        f'<g class="scale-labels" fill="{AXIS}">',
        *(_text(plot.left - 5, plot.y(value) + 3.5, str(value), anchor="end") for value in values),
        _text(2, plot.top - 9, "Sessions", font_size="9"),
        "</g>",
    ]


def _bars(plot: _Plot, weeks: Sequence[WeekPoint]) -> list[str]:
    """One bar per week, even when it is 0 (zero height), so the weeks line up with labels."""
    bar_w = min(max(plot.slot * 0.7, 1.0), 28.0)  # not a slab when there are few weeks
    parts = [f'<g class="bars" fill="{BAR}">']
    for i, week in enumerate(weeks):
        x = plot.left + i * plot.slot + (plot.slot - bar_w) / 2
        top_y = plot.y(week.unauthorised)
        parts.append(
            f'<rect class="bar" x="{_num(x)}" y="{_num(top_y)}" width="{_num(bar_w)}" '
            f'height="{_num(plot.bottom - top_y)}"/>'
        )
    parts.append("</g>")
    return parts


def _threshold(plot: _Plot, threshold: int) -> list[str]:
    """The threshold, dashed, labelled at its right end above the line."""
    ty = plot.y(threshold)
    label = f"National threshold ({threshold})"
    label_w = len(label) * CHAR_WIDTH
    return [
        f'<line class="threshold" x1="{_num(plot.left)}" y1="{_num(ty)}" '
        f'x2="{_num(plot.right)}" y2="{_num(ty)}" stroke="{THRESHOLD}" stroke-width="1.2" '
        'stroke-dasharray="6 4"/>',
        f'<rect x="{_num(plot.right - 4 - label_w)}" y="{_num(ty - 14)}" '
        f'width="{_num(label_w + 4)}" height="12" fill="#ffffff" fill-opacity="0.85"/>',
        _text(plot.right - 2, ty - 4, label, anchor="end", fill=THRESHOLD),
    ]


def _window(plot: _Plot, weeks: Sequence[WeekPoint], threshold: int) -> list[str]:
    """The rolling window total: a line through the middle of each week, a dot where it meets
    the threshold."""
    points = " ".join(
        f"{_num(plot.middle(i))},{_num(plot.y(w.window_total))}" for i, w in enumerate(weeks)
    )
    return [
        f'<polyline class="window" points="{points}" fill="none" stroke="{LINE}" '
        'stroke-width="1.8" stroke-linejoin="round"/>',
        f'<g class="met" fill="{THRESHOLD}">',
        *(
            f'<circle cx="{_num(plot.middle(i))}" cy="{_num(plot.y(w.window_total))}" r="2.2"/>'
            for i, w in enumerate(weeks)
            if w.window_total >= threshold
        ),
        "</g>",
    ]


def _axes(plot: _Plot) -> str:
    return (
        f'<path class="axes" d="M{_num(plot.left)} {_num(plot.top)}V{_num(plot.bottom)}'
        f'H{_num(plot.right)}" fill="none" stroke="{AXIS}" stroke-width="1"/>'
    )


def _week_labels(plot: _Plot, weeks: Sequence[WeekPoint], height: int) -> list[str]:
    """Week labels (the Monday), thinned so they do not overlap."""
    labels = [week_label(w.monday) for w in weeks]
    every = label_every(len(weeks), plot.slot, max(len(t) for t in labels))
    parts = [f'<g class="week-labels" fill="{AXIS}">']
    for i in range(0, len(weeks), every):
        cx = plot.middle(i)
        parts.append(
            f'<line x1="{_num(cx)}" y1="{_num(plot.bottom)}" x2="{_num(cx)}" '
            f'y2="{_num(plot.bottom + 3)}" stroke="{AXIS}"/>'
        )
        parts.append(_text(cx, plot.bottom + 14, labels[i], anchor="middle"))
    middle = plot.left + plot.width / 2
    parts.append(_text(middle, height - 3, "School week (Monday)", anchor="middle", font_size="9"))
    parts.append("</g>")
    return parts


def _legend(plot: _Plot) -> list[str]:
    """The legend, above the plot."""
    lx, ly = plot.left, 12.0
    first = "Unauthorised sessions that week"
    lx2 = lx + 14 + len(first) * CHAR_WIDTH + 16
    return [
        '<g class="legend">',
        f'<rect x="{_num(lx)}" y="{_num(ly - 8)}" width="10" height="9" fill="{BAR}"/>',
        _text(lx + 14, ly, first),
        f'<line x1="{_num(lx2)}" y1="{_num(ly - 3.5)}" x2="{_num(lx2 + 16)}" '
        f'y2="{_num(ly - 3.5)}" stroke="{LINE}" stroke-width="1.8"/>',
        _text(lx2 + 20, ly, f"In the {THRESHOLD_WEEKS} school weeks to that week"),
        "</g>",
    ]


def _band_legend(plot: _Plot) -> list[str]:
    """Said only when a period is drawn: the shading is a Notice to Improve's period."""
    label = "NTI improvement period"
    ly = 12.0
    lx = plot.right - len(label) * CHAR_WIDTH - 14  # the top row's right end, clear of the rest
    return [
        '<g class="legend">',
        f'<rect x="{_num(lx)}" y="{_num(ly - 8)}" width="10" height="9" fill="{PERIOD}"/>',
        _text(lx + 14, ly, label),
        "</g>",
    ]
