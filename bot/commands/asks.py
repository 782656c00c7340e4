"""What a chat surface asks the command layer, and the neutral answer it renders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Ask:
    user_id: str
    text: str  # what the user typed, or which button or form they used (for the audit)
    on: date
    now: datetime
    team_id: str | None = None  # the Slack workspace asked from (its schools limit the act)


@dataclass(frozen=True)
class Answer:
    text: str
    refused: bool = False
    form: str | None = None  # a form or view the surface should open: "nti", "case", "decision"
    upn: str | None = None
    prefill: tuple[str, ...] = ()  # what the form shows: the support logged, the latest entries
    template: str = ""  # the letter a letter form sends
    choices: tuple[tuple[str, str], ...] = ()  # what the form offers to pick: (value, label)
    attachment: tuple[str, bytes] | None = None  # a file for the requester only (the pack)
    # What to record once the attachment has reached the requester (the pack's export entry).
    delivered: Callable[[], Awaitable[None]] | None = None
