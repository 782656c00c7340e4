"""MIME boundaries matched without compiling a regular expression for each message.

The standard library's parser (email.feedparser) compiles a new pattern for every multipart
boundary it meets, `(?P<sep>--BOUNDARY)(?P<end>--)?(?P<ws>[ \\t]*)(?P<linesep>\\r\\n|\\r|\\n)?$`.
Boundaries are unique per message, so the `re` module's cache never helps: ~0.12 ms of the
~0.6 ms the ingester spends reading a reply (a fifth of it) went on compiling. `install()` hands
the parser a matcher for exactly that pattern, written out in Python with the same answers
(tests/unit/test_boundaries.py checks it against the compiled pattern on generated lines);
every other pattern the parser asks for is compiled by `re` as before.
"""

from __future__ import annotations

import contextlib
import email.feedparser
import re
import types
from collections.abc import Iterator
from typing import Any

_HEAD = "(?P<sep>"
_TAIL = r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)
_LINESEPS = ("\r\n", "\r", "\n")  # the pattern's alternation, in its order


class BoundaryMatch:
    """What the parser reads of a match: truthy, and its groups by name."""

    __slots__ = ("_groups",)

    def __init__(self, sep: str, end: str | None, ws: str, linesep: str | None) -> None:
        self._groups = {"sep": sep, "end": end, "ws": ws, "linesep": linesep}

    def group(self, name: str) -> str | None:
        return self._groups[name]


def _tail(rest: str) -> tuple[str, str | None] | None:
    """`[ \\t]*(\\r\\n|\\r|\\n)?$` matched against all of `rest`: (ws, linesep), or None. `$`
    matches at the end or before a final newline, as in the pattern."""
    stripped = rest.lstrip(" \t")
    ws = rest[: len(rest) - len(stripped)]
    for linesep in _LINESEPS:
        if stripped.startswith(linesep) and stripped[len(linesep) :] in ("", "\n"):
            return ws, linesep
    return (ws, None) if stripped == "" else None


class BoundaryMatcher:
    """The compiled pattern for one separator (`--` and the boundary), as `match` needs it."""

    __slots__ = ("separator",)

    def __init__(self, separator: str) -> None:
        self.separator = separator

    def match(self, line: str) -> BoundaryMatch | None:
        if not line.startswith(self.separator):
            return None
        rest = line[len(self.separator) :]
        if rest.startswith("--") and (closing := _tail(rest[2:])) is not None:
            return BoundaryMatch(self.separator, "--", *closing)
        inner = _tail(rest)
        return None if inner is None else BoundaryMatch(self.separator, None, *inner)


def boundary_separator(pattern: Any) -> str | None:
    """The separator, when `pattern` is the parser's boundary pattern for it; else None."""
    if not (isinstance(pattern, str) and pattern.startswith(_HEAD) and pattern.endswith(_TAIL)):
        return None
    escaped = pattern[len(_HEAD) : -len(_TAIL)]
    separator = _UNESCAPE.sub(r"\1", escaped)
    # Only a pattern re.escape made is taken: anything else is compiled as it was written.
    return separator if re.escape(separator) == escaped else None


def _compile(pattern: Any, flags: int = 0) -> Any:
    separator = boundary_separator(pattern) if flags == 0 else None
    return re.compile(pattern, flags) if separator is None else BoundaryMatcher(separator)


def install() -> None:
    """From now on, in this process, the parser's boundary patterns are matched here. Once."""
    # The parser's own name for the module (not in its type stubs).
    if isinstance(getattr(email.feedparser, "re", None), types.ModuleType):
        shim = types.SimpleNamespace(**vars(re))
        shim.compile = _compile
        setattr(email.feedparser, "re", shim)  # noqa: B010


@contextlib.contextmanager
def standard_parser() -> Iterator[None]:
    """The parser as the standard library has it while this lasts (a baseline measured without
    the matcher, the tests); whatever it had before is put back after."""
    before = getattr(email.feedparser, "re")  # noqa: B009
    setattr(email.feedparser, "re", re)  # noqa: B010
    try:
        yield
    finally:
        setattr(email.feedparser, "re", before)  # noqa: B010
