"""The pages' HTML: Jinja2 templates in templates/web, autoescaped, StrictUndefined."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from documents.chronology import day, moment

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
STYLESHEET = TEMPLATES / "web" / "style.css"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined
    )
    env.filters["day"] = day
    env.filters["moment"] = moment
    return env


def page(name: str, **context: Any) -> str:
    return _environment().get_template(f"web/{name}.html.j2").render(**context)


@cache
def stylesheet() -> bytes:
    return STYLESHEET.read_bytes()
