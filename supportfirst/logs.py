"""Structured log lines for `serve`: one JSON object a line on stderr (time, level, logger,
message, and the exception when there is one), so a school's log shipper can index them.

What is logged at INFO names counts and ids, never a parent's address: the SMTP libraries'
dialogue (which does) is kept at WARNING unless SUPPORTFIRST_DEBUG is set.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime

# Loggers whose INFO/DEBUG lines carry addresses or message bodies.
PROTOCOL_LOGGERS = ("mail.log", "mail.debug", "aiosmtpd", "aiosmtplib", "imap_tools")


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    if not os.environ.get("SUPPORTFIRST_DEBUG"):
        for name in PROTOCOL_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
