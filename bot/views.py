"""Neutral view models: what a chat surface shows, built by the command layer and the alert
router, rendered by each adapter (Block Kit for Slack, Adaptive Cards for Teams, text for the
console). Channel messages carry the minimum (initials, year group, what happened); names and
details are only for private views to authorised staff (DESIGN.md principle 6)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AlertView:
    """One alert, as a channel may show it."""

    event_id: str  # the outbox event's id: deliveries are idempotent by it
    kind: str  # ThresholdMet | NtiBreached | NtiEnded | NtiNotServed | NtiReopened | …
    title: str  # "Threshold met", "Notice to Improve breached", …
    pupil: str  # initials and year only, e.g. "S.T., Year 5"
    what_happened: str  # one or two plain sentences, no names
    urgent: bool = False
    case_url: str | None = None  # opens the case (Teams buttons are links)
    upn: str | None = None  # for the buttons' values; not shown in the message text
    facts: tuple[tuple[str, str], ...] = field(default=())  # extra label/value pairs, no names
