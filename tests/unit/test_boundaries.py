"""The boundary matcher (mail/boundaries.py) answers as the parser's compiled pattern does, on
boundaries with regular-expression characters and lines of boundary-like text; and a parse with
it installed gives the same message as the standard library's own."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import compat32, default

from hypothesis import given, settings
from hypothesis import strategies as st

from mail.boundaries import BoundaryMatcher, boundary_separator, install, standard_parser

BOUNDARY_CHARS = "ab=_.:+?*()[]{}|^$\\/'- \t"
LINE_CHARS = "ab- \t\r\n"


def parsers_pattern(separator: str) -> str:
    """What email.feedparser compiles (Python 3.11)."""
    return (
        "(?P<sep>" + re.escape(separator) + r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
    )


def answers(match: object) -> tuple[str | None, ...] | None:
    if match is None:
        return None
    return tuple(match.group(g) for g in ("sep", "end", "ws", "linesep"))  # type: ignore[attr-defined]


@settings(max_examples=2000, deadline=None)
@given(
    st.text(BOUNDARY_CHARS, min_size=1, max_size=12),
    st.text(LINE_CHARS, max_size=10),
    st.sampled_from(["", "--", "-"]),
)
def test_the_matcher_answers_as_the_compiled_pattern(boundary: str, tail: str, lead: str) -> None:
    separator = "--" + boundary
    pattern = parsers_pattern(separator)
    assert boundary_separator(pattern) == separator
    compiled, ours = re.compile(pattern), BoundaryMatcher(separator)
    for line in (separator + tail, lead + separator + tail, separator[:-1] + tail, tail):
        assert answers(ours.match(line)) == answers(compiled.match(line)), repr(line)


def test_other_patterns_are_not_taken_for_a_boundary() -> None:
    assert (
        boundary_separator(r"(?P<sep>--a.b)(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$")
        is None
    )
    assert boundary_separator(r"(\r\n|\r|\n)\Z") is None
    assert boundary_separator(b"(?P<sep>--ab)") is None


MESSAGE = (
    b"From: a@example.org\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="=(x.y)+?="\r\n\r\npreamble\r\n'
    b"--=(x.y)+?=\r\nContent-Type: text/plain\r\n\r\nhello\r\n--=(x.y)+?=-not-a-boundary\r\n"
    b"--=(x.y)+?=  \r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n"
    b"--inner\r\nContent-Type: text/plain\r\n\r\nplain\r\n--inner\r\n"
    b"Content-Type: text/html\r\n\r\n<p>rich</p>\r\n--inner--\r\n"
    b"--=(x.y)+?=--\r\nepilogue\r\n"
)


def _shape(raw: bytes, policy: object) -> list[tuple[str, str]]:
    msg = message_from_bytes(raw, policy=policy)  # type: ignore[call-overload]
    return [
        (p.get_content_type(), str(p.get_payload() if not p.is_multipart() else p.preamble))
        for p in msg.walk()
    ] + [
        ("epilogue", str(msg.epilogue)),
        ("defects", str([type(d).__name__ for p in msg.walk() for d in p.defects])),
    ]


def test_a_parse_with_it_installed_is_the_standard_librarys() -> None:
    import email.feedparser

    with standard_parser():
        before = [_shape(MESSAGE, p) for p in (compat32, default)]
        install()
        assert getattr(email.feedparser, "re") is not re  # noqa: B009
        assert [_shape(MESSAGE, p) for p in (compat32, default)] == before
        assert before[0][2][0] == "multipart/alternative" and "not-a-boundary" in before[0][1][1]
