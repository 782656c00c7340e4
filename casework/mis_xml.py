"""SIMS's own scheduled export: CommandReporter runs a SIMS report from the command line and
writes it as XML, one `Record` per row under a `SuperStarReport` root, each column an element
named after the report's caption (a space written `_x0020_`, as .NET's XML writer does:
`Attendance_x0020_Date`). Read here into the same header and rows as a CSV export, so one
layout serves both.

The XML is read with defusedxml's SAX reader: a file with a DTD or an entity is refused whole,
and each record keeps the line it starts on, for `FILE:LINE: field: reason`.
"""

from __future__ import annotations

import re
import xml.sax
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import Locator

import defusedxml.sax
from defusedxml import DefusedXmlException

_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


class ReportError(ValueError):
    """The file as a whole is not a report we can read: one line."""


def is_xml(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def caption(tag: str) -> str:
    """`Attendance_x0020_Date` -> `Attendance Date`."""
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), tag.rpartition(":")[2])


class _Records(ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.header: list[str] = []
        self.records: list[tuple[int, dict[str, str]]] = []
        self._depth, self._line = 0, 0
        self._record: dict[str, str] = {}
        self._text: list[str] = []
        self._locator: Locator | None = None

    def setDocumentLocator(self, locator: Locator) -> None:  # noqa: N802 (SAX's name)
        self._locator = locator

    def startElement(self, name: str, attrs: object) -> None:  # noqa: N802
        self._depth += 1
        if self._depth == 2:
            self._record = {}
            self._line = (self._locator.getLineNumber() or 0) if self._locator else 0
        self._text = []

    def characters(self, content: str) -> None:
        self._text.append(content)

    def endElement(self, name: str) -> None:  # noqa: N802
        if self._depth == 3:
            column = caption(name)
            if column not in self.header:
                self.header.append(column)
            self._record[column] = "".join(self._text).strip()
        elif self._depth == 2:
            self.records.append((self._line, self._record))
        self._depth -= 1


def report_rows(name: str, data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The report's columns (in the order first met) and each record as a row of them, with
    the line the record starts on."""
    handler = _Records()
    try:
        defusedxml.sax.parseString(data, handler, forbid_dtd=True)
    except DefusedXmlException:
        raise ReportError(
            f"{name}:1: XML: declares a DTD or an entity: refused (a report has neither)"
        ) from None
    except xml.sax.SAXParseException as e:
        raise ReportError(
            f"{name}:{e.getLineNumber()}: XML: not well-formed XML (column "
            f"{e.getColumnNumber()}): {e.getMessage()}"
        ) from None
    if not handler.records:
        raise ReportError(f"{name}:1: XML: no Record in this report")
    columns = handler.header
    rows = [(line, [r.get(c, "") for c in columns]) for line, r in handler.records]
    return columns, rows
