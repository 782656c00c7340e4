"""Alerts on the console (and so in the service log): the embedded default."""

from __future__ import annotations

import json
from datetime import datetime

from bot.views import AlertView
from casework.records import AlertPostRecord


class ConsoleAlerts:
    async def post(
        self, destination: str, view: AlertView, thread: AlertPostRecord | None
    ) -> tuple[str | None, str | None]:
        detail = {"title": view.title, "pupil": view.pupil, "what": view.what_happened}
        print(f"ALERT {view.kind} {view.upn} {json.dumps(detail, sort_keys=True)}", flush=True)
        return None, None

    async def find(
        self, destination: str, event_id: str, since: datetime
    ) -> tuple[str | None, str | None] | None:
        return None  # a line on a console cannot be looked up: print it again
