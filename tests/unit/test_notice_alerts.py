"""What the new notice alerts say on every channel (bot/alerts/render.py serves Slack, Teams and
the console alike): enough to act on, no parent's name or address."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.alerts.render import URGENT, alert_view
from casework.events import NtiEnded, NtiNotServed, NtiReopened
from casework.records import PendingEvent, PupilRow
from casework.staff import ALERT_KINDS

PUPIL = PupilRow("A123456789012", "Sam", "Taylor", date(2015, 3, 1), "100001", "5")
ON = date(2025, 3, 12)


def view(event: NtiEnded | NtiNotServed | NtiReopened) -> tuple[str, str]:
    pending = PendingEvent(
        id="e1",
        kind=event.kind,
        upn=event.upn,
        on=event.on,
        payload=event.payload(),
        created_at=datetime.now(UTC),
    )
    v = alert_view(pending, PUPIL, None)
    assert v.pupil == "S.T., Year 5" and ("Notice", "1") in v.facts
    return v.title, v.what_happened


def test_not_served_says_the_period_cannot_start_and_names_no_parent() -> None:
    title, said = view(NtiNotServed(PUPIL.upn, ON, 1, date(2025, 3, 7), ("P1", "P2")))
    assert title == "A Notice to Improve is not yet served"
    assert said == (
        "On 2025-03-12: Notice 1, issued 2025-03-07, has still not reached 2 parent(s): its "
        "period cannot start until it is posted or handed over and recorded."
    )
    assert "P1" not in said and "NtiNotServed" in URGENT and "NtiNotServed" in ALERT_KINDS


def test_ended_gives_the_finding_and_its_reasons() -> None:
    reasons = ("registers missing for 2 school days: 2025-04-22, 2025-04-23",)
    _, said = view(NtiEnded(PUPIL.upn, ON, 1, "undecided", 0, reasons=reasons))
    assert said == (
        "On 2025-03-12: Notice 1 ended: the evidence says undecided (registers missing for 2 "
        "school days: 2025-04-22, 2025-04-23). Record the decision (nti close)."
    )


def test_reopened_says_what_the_correction_changed() -> None:
    title, said = view(NtiReopened(PUPIL.upn, ON, 1, 0, 2, "breached"))
    assert title == "A Notice to Improve was reopened by a correction"
    assert "puts 2 further sessions in its ended period (it ended with 0)" in said
    assert "NtiReopened" in ALERT_KINDS
