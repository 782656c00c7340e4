"""A stored email as staff read it on a page: its headers, its text, the names of its
attachments. Pure (bytes in, text out); anything it cannot decode it says so, rather than
guessing: the stored bytes stay the evidence, downloadable exactly as received."""

from __future__ import annotations

from dataclasses import dataclass
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from email.policy import compat32
from html.parser import HTMLParser

HEADERS = ("From", "To", "Cc", "Date", "Subject", "Message-ID", "In-Reply-To")
MAX_TEXT = 20_000  # characters shown; the rest is in the download


@dataclass(frozen=True)
class Attachment:
    name: str
    media_type: str
    size: int


@dataclass(frozen=True)
class MessageView:
    headers: tuple[tuple[str, str], ...]
    text: str | None  # None: no readable text part (download the message)
    from_html: bool  # the text was taken from the HTML part (no plain-text part)
    attachments: tuple[Attachment, ...]
    problem: str | None = None  # why it could not be read at all


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "tr", "li"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _header(msg: Message, name: str) -> str | None:
    value = msg.get(name)
    if value is None:
        return None
    try:
        return str(make_header(decode_header(str(value))))
    except (LookupError, ValueError, UnicodeError):  # an unknown charset: the raw header
        return str(value)


def _decoded(part: Message) -> str | None:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return None
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def _body(msg: Message) -> tuple[str | None, bool]:
    plain = html = None
    for part in msg.walk():
        if part.is_multipart() or part.get_filename():
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and plain is None:
            plain = _decoded(part)
        elif kind == "text/html" and html is None:
            html = _decoded(part)
    if plain is not None:
        return plain[:MAX_TEXT], False
    if html is not None:
        parser = _Text()
        parser.feed(html)
        return "".join(parser.parts).strip()[:MAX_TEXT], True
    return None, False


def _attachments(msg: Message) -> tuple[Attachment, ...]:
    found = []
    for part in msg.walk():
        name = part.get_filename()
        if name and not part.is_multipart():
            payload = part.get_payload(decode=True)
            size = len(payload) if isinstance(payload, bytes) else 0
            found.append(Attachment(str(name), part.get_content_type(), size))
    return tuple(found)


def message_view(raw: bytes) -> MessageView:
    try:
        msg = message_from_bytes(raw, policy=compat32)
        headers = tuple((n, v) for n in HEADERS if (v := _header(msg, n)) is not None)
        text, from_html = _body(msg)
        return MessageView(headers, text, from_html, _attachments(msg))
    except Exception as e:  # a message too broken to read is still shown as stored bytes
        return MessageView((), None, False, (), f"it cannot be read as an email ({e})")
