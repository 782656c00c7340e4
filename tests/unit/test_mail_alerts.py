"""What the inbound-mail alerts say (bot/alerts/render.py, every channel): an unverified
report asks staff to check and names no parent; held-back counts are said."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.alerts.render import alert_view
from casework.events import BounceUnverified, Event, ParentReplied
from casework.records import PendingEvent, PupilRow
from casework.staff import ALERT_KINDS

PUPIL = PupilRow("A123456789012", "Sam", "Taylor", date(2015, 3, 1), "100001", "5")
ON = date(2025, 3, 12)


def view(event: Event) -> tuple[str, str]:
    pending = PendingEvent(
        id="e1",
        kind=event.kind,
        upn=event.upn,
        on=event.on,
        payload=event.payload(),
        created_at=datetime.now(UTC),
    )
    v = alert_view(pending, PUPIL, None)
    return v.title, v.what_happened


def test_an_unverified_bounce_asks_staff_to_check_and_says_what_was_held_back() -> None:
    event = BounceUnverified(
        PUPIL.upn, ON, 1, "<m@s>", "P1", "nti", "failed", "5.1.1", "x@evil.test", 3
    )
    title, said = view(event)
    assert title == "A delivery report to check: it cannot be authenticated"
    assert said == (
        "On 2025-03-12: A report says the nti email to a parent was NOT delivered, but it "
        "cannot be authenticated, so nothing was changed: check with the parent or the "
        "school's mail provider before relying on it. 3 more such reports since the last "
        "alert (see the case)."
    )
    assert "P1" not in said and "BounceUnverified" in ALERT_KINDS


def test_a_reply_nothing_proves_says_so() -> None:
    _, said = view(ParentReplied(PUPIL.upn, ON, "<r@x>", "P1", "<m@s>", "Re", None, False, 1))
    assert said == (
        "On 2025-03-12: A parent replied to a letter from the school (sender not verified: "
        "nothing proves the parent sent it). 1 more reply since the last alert (see the case)."
    )
    _, said = view(ParentReplied(PUPIL.upn, ON, "<r@x>", "P1", "<m@s>", "Re", None, True))
    assert said == "On 2025-03-12: A parent replied to a letter from the school."
