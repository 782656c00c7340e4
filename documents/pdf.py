"""The printable copy of a letter: its HTML part laid out on A4 by WeasyPrint.

The PDF is evidence (it is both the emailed attachment and what goes in the post, and its SHA-256
is recorded), so the same letter must give the same bytes every time: the dates in the PDF come
from `created`, never the clock, and the file identifier is a hash of the content. Nothing is
fetched from the network or the disk: only `data:` URLs load, so an `<img src=http://...>` that
reached the HTML can neither tell anyone the letter was printed nor change the PDF.
"""

from __future__ import annotations

import io
import logging
import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

with warnings.catch_warnings():
    # Without the system's libharfbuzz-subset WeasyPrint warns (DeprecationWarning) on import
    # that it will need it one day, and falls back to fontTools: see _font_timestamps.
    warnings.filterwarnings("ignore", "HarfBuzz-Subset", DeprecationWarning)
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher


class _QuietFontFallback(logging.Filter):
    """Drop WeasyPrint's per-render notice that it subsets fonts with fontTools (said once on
    import already, and it would fill the service log with one line per letter)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "HarfBuzz-Subset" not in record.getMessage()


logging.getLogger("weasyprint").addFilter(_QuietFontFallback())

PRINT_CSS = """
@page { size: A4; margin: 20mm; }
html, body {
  font-family: "DejaVu Serif", serif !important;
  font-size: 11pt !important;
  line-height: 1.4 !important;
  max-width: none !important;
  margin: 0 !important;
  color: #000;
}
h2 { font-size: 15pt; margin: 0 0 8pt; }
h3 { font-size: 12pt; margin: 12pt 0 4pt; break-after: avoid; }
p, li { orphans: 3; widows: 3; }
img { max-width: 100%; }
/* The parent's address where the window of a C5 or DL window envelope shows it once the A4
   sheet is folded: 20 mm from the left edge, 45 mm from the top (the page margins are 20 mm),
   at most 85 x 35 mm. The school's name and the date sit to its right, and the letter starts
   below it. */
.postal-address {
  position: absolute; top: 25mm; left: 0; width: 85mm; height: 35mm; overflow: hidden;
  font-family: "DejaVu Sans", sans-serif; font-size: 10pt; line-height: 1.3;
}
.postal-address + .letterhead { margin: 0 0 0 95mm; min-height: 64mm; }
"""


class OnlyDataURLs(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no type hints
    """Refuses every URL but `data:`: no network, no files (WeasyPrint logs and skips it)."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, allow_redirects=False)

    def fetch(self, url: str, headers: Any = None) -> Any:
        if not url.lower().startswith("data:"):
            raise ValueError(f"letters fetch nothing: refused {url[:80]!r}")
        return super().fetch(url, headers)


_ENVIRONMENT = threading.Lock()
# What a document kept as evidence for years is written as (ISO 19005-2, level B: it looks the
# same wherever it is opened, fonts embedded, colours defined by an output intent).
ARCHIVAL = "pdf/a-2b"


@contextmanager
def _font_timestamps(created: datetime) -> Iterator[None]:
    """Without HarfBuzz-Subset, WeasyPrint subsets fonts with fontTools, which stamps each font's
    `head.modified` with the clock unless SOURCE_DATE_EPOCH is set: set it for this render."""
    with _ENVIRONMENT:
        before = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = str(int(created.timestamp()))
        try:
            yield
        finally:
            if before is None:
                del os.environ["SOURCE_DATE_EPOCH"]
            else:
                os.environ["SOURCE_DATE_EPOCH"] = before


def _srgb_profile() -> Any:
    """The sRGB ICC profile WeasyPrint ships, read and closed (its ColorProfile keeps a copy)."""
    from importlib.resources import files

    from weasyprint.css import ColorProfile

    data = (files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()
    return ColorProfile(
        io.BytesIO(data), "sRGB2014.icc", "relative-colorimetric", (["r"], ["g"], ["b"])
    )


def html_pdf(
    html: str, title: str, created: datetime, stylesheet: str, variant: str | None = None
) -> bytes:
    """An HTML document laid out by WeasyPrint with `stylesheet`, as PDF: the same bytes for the
    same input, every time. `created` (aware) gives the PDF's dates and the fonts' timestamps;
    the file identifier is a hash of the content; only `data:` URLs are fetched. `variant` is
    WeasyPrint's `pdf_variant` (ARCHIVAL: PDF/A-2b, with its XMP metadata and sRGB output
    intent)."""
    if created.tzinfo is None:
        raise ValueError("a PDF needs an aware `created` datetime, not a naive one")
    fetcher = OnlyDataURLs()
    document = HTML(string=html, url_fetcher=fetcher).render(
        stylesheets=[CSS(string=stylesheet, url_fetcher=fetcher)]
    )
    document.metadata.title = title
    options: dict[str, Any] = {}
    if variant is not None:
        # WeasyPrint would open its sRGB profile itself and never close the file (a
        # ResourceWarning); given the profile already read, it is the output intent all the same.
        document.color_profiles["srgb"] = _srgb_profile()
        options = {"pdf_variant": variant, "output_intent": "given"}
    stamp = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    document.metadata.created = document.metadata.modified = stamp
    with _font_timestamps(created):
        # True: pydyf makes the trailer /ID from an MD5 of the objects, nothing random.
        pdf: bytes = document.write_pdf(pdf_identifier=True, **options)
    return pdf


def letter_pdf(html: str, title: str, created: datetime) -> bytes:
    """The printable copy of a letter as PDF: the same bytes for the same letter, every time."""
    if created.tzinfo is None:
        raise ValueError("a letter's PDF needs an aware `created` datetime, not a naive one")
    return html_pdf(html, title, created, PRINT_CSS)
