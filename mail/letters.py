"""Letters and notices from the Jinja2 templates in `templates/`: a plain-text and an HTML part.

Templates are per local authority (`templates/<la>/letters/NAME.{txt,html}.j2`), falling back
to `templates/default/`. The HTML environment autoescapes, so nothing a parent or the MIS
supplied can become markup; the subject is flattened to one line, so it cannot become headers.
Missing data is an error, never a blank in a legal letter (StrictUndefined).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
)

from casework.errors import NotFound

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


class UnknownLetter(NotFound):
    """No template of that name (for this LA or the default)."""


@dataclass(frozen=True)
class Letter:
    template: str
    authority: str
    subject: str
    text: str
    html: str


def authority_folder(authority: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", authority.lower().replace("county council", "")).strip("_")


class LetterRenderer:
    def __init__(self, root: Path = TEMPLATES) -> None:
        self.root = root
        self._environments: dict[tuple[str, bool], Environment] = {}

    def _environment(self, authority: str, html: bool) -> Environment:
        key = (authority_folder(authority), html)
        if key not in self._environments:
            loader = ChoiceLoader(
                [FileSystemLoader(self.root / key[0]), FileSystemLoader(self.root / "default")]
            )
            self._environments[key] = Environment(
                loader=loader,
                autoescape=html,
                undefined=StrictUndefined,
                keep_trailing_newline=True,
            )
        return self._environments[key]

    def available(self) -> list[str]:
        folder = self.root / "default" / "letters"
        return sorted(
            p.name.removesuffix(".txt.j2")
            for p in folder.glob("*.txt.j2")
            if not p.name.startswith("_")
        )

    def render(self, template: str, authority: str, context: Mapping[str, Any]) -> Letter:
        parts = {}
        subject = ""
        for html in (False, True):
            suffix = "html" if html else "txt"
            try:
                t = self._environment(authority, html).get_template(
                    f"letters/{template}.{suffix}.j2"
                )
            except TemplateNotFound:
                raise UnknownLetter(
                    f"no letter template {template!r}: use one of {', '.join(self.available())}"
                ) from None
            module = t.make_module(dict(context))
            subject = " ".join(str(getattr(module, "subject", template)).split())
            parts[suffix] = t.render({**context, "subject": subject})
        return Letter(template, authority, subject, parts["txt"], parts["html"])
