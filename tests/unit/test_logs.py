"""serve's log lines: one JSON object each, and the SMTP dialogue (which names parents'
addresses) kept out of INFO unless SUPPORTFIRST_DEBUG is set."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator

import pytest

from supportfirst.logs import PROTOCOL_LOGGERS, JsonLines, configure_logging


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {n: logging.getLogger(n).level for n in PROTOCOL_LOGGERS}
    yield
    root.handlers[:], root.level = handlers, level
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


def test_a_log_line_is_one_json_object_with_the_exception() -> None:
    try:
        raise ValueError("the relay went away")
    except ValueError:
        record = logging.getLogger("supportfirst.sender").makeRecord(
            "supportfirst.sender", logging.ERROR, __file__, 1, "%d to retry", (3,), None
        )
        record.exc_info = sys.exc_info()
    line = json.loads(JsonLines().format(record))
    assert line["level"] == "ERROR" and line["logger"] == "supportfirst.sender"
    assert line["msg"] == "3 to retry" and "ValueError: the relay went away" in line["exc"]


def test_the_smtp_dialogue_is_not_logged_at_info(
    restored_logging: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SUPPORTFIRST_DEBUG", raising=False)
    configure_logging()
    assert logging.getLogger("supportfirst").isEnabledFor(logging.INFO)
    for name in ("mail.log", "aiosmtplib", "aiosmtpd"):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO)


def test_supportfirst_debug_lets_the_dialogue_through(
    restored_logging: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in PROTOCOL_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    monkeypatch.setenv("SUPPORTFIRST_DEBUG", "1")
    configure_logging()
    assert logging.getLogger("mail.log").isEnabledFor(logging.INFO)
