"""Alerts on the console and in a log file (`alerts.log` in the data folder): the embedded
default when neither Slack nor Teams is configured."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from bot.views import AlertView
from casework.records import AlertPostRecord


class ConsoleAlerts:
    def __init__(self, log_file: Path | None = None) -> None:
        self.log_file = log_file

    async def post(
        self, destination: str, view: AlertView, thread: AlertPostRecord | None
    ) -> tuple[str | None, str | None]:
        detail = {"title": view.title, "pupil": view.pupil, "what": view.what_happened}
        if view.case_url:  # the page to open: the pupil's case, or the inbox
            detail["link"] = view.case_url
        line = f"ALERT {view.kind} {view.upn} {json.dumps(detail, sort_keys=True)}"
        if self.log_file is not None:  # the file first: once the line is seen, it is logged
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW
            with open(os.open(self.log_file, flags, 0o600), "a", encoding="utf-8") as f:
                f.write(f"{datetime.now(UTC).isoformat()} {line}\n")
        print(line, flush=True)
        return None, None

    async def find(
        self, destination: str, event_id: str, since: datetime
    ) -> tuple[str | None, str | None] | None:
        return None  # a line on a console cannot be looked up: print it again
