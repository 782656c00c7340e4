"""The referral pack's chronology.pdf: the PackView laid out on A4, the same bytes every time.

The HTML comes from `templates/pack/chronology.html.j2` (autoescaped, StrictUndefined: missing
data is an error, never a blank in what goes to the local authority) with the attendance chart
inline as SVG; the layout is `templates/pack/chronology.css`. It goes through
`documents.pdf.html_pdf`, so the PDF's dates come from `view.generated_at`, its identifier is a
hash of its content, and nothing is fetched.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from attendance.ukdates import uk_day
from casework.packview import PackView
from documents.chart import Band, attendance_chart_svg

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
TEMPLATE = "pack/chronology.html.j2"
STYLESHEET = TEMPLATES / "pack" / "chronology.css"
UK = ZoneInfo("Europe/London")
STATES = ("done", "not_applicable", "missing")


def day(on: date) -> str:
    """A date as "3 Mar 2025", in English whatever the locale."""
    return uk_day(on)


def moment(at: datetime) -> str:
    """An aware time in UK time, as "10 Mar 2025 09:00 GMT"."""
    local = at.astimezone(UK)
    return f"{day(local.date())} {local:%H:%M} {local.tzname()}"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["day"] = day
    env.filters["weekday"] = lambda on: ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[
        on.weekday()
    ]
    return env


@cache
def _stylesheet() -> str:
    return STYLESHEET.read_text(encoding="utf-8")


def chronology_html(view: PackView) -> str:
    """The chronology as HTML (without its stylesheet): what `chronology_pdf` lays out."""
    if view.generated_at.tzinfo is None:
        raise ValueError("a pack's generated_at must be an aware datetime")
    unknown = sorted({c.state for c in view.checklist} - set(STATES))
    if unknown:
        raise ValueError(f"unknown checklist state(s): {', '.join(unknown)}")
    missing = sum(c.state == "missing" for c in view.checklist)
    bands = [
        Band(s.start, s.end, f"NTI {s.notice_id}") for s in view.stretches if s.kind == "period"
    ]
    chart = Markup(attendance_chart_svg(view.weeks, view.threshold, bands=bands))  # escaped
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            view=view,
            chart=chart,
            generated=moment(view.generated_at),
            missing=missing,
            ready=bool(view.checklist) and missing == 0,
            period_labels=[s.label for s in view.stretches if s.kind == "period"],
        )
    )


def chronology_pdf(view: PackView) -> bytes:
    """The chronology as PDF/A (archived as evidence): the same bytes for the same view, dated
    `view.generated_at`."""
    from documents.pdf import ARCHIVAL, html_pdf  # WeasyPrint takes ~0.6 s to import

    html = chronology_html(view)
    return html_pdf(html, view.title, view.generated_at, _stylesheet(), ARCHIVAL)
