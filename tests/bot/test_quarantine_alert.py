"""MailQuarantined as each channel shows it: a count, no pupil, and the inbox to open (the
Teams card validated against the Adaptive Cards schema, like every other alert)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.alerts.render import alert_view
from bot.slack.blocks import alert_blocks
from bot.teams import adaptive_card
from casework.events import MailQuarantined
from casework.records import PendingEvent
from tests.bot.test_teams import card_errors

INBOX = "https://sf.school.example/inbox"
EVENT = MailQuarantined("", date(2025, 3, 10), 3, date(2025, 3, 3))
PENDING = PendingEvent(
    id="e1",
    kind=EVENT.kind,
    upn=None,
    on=EVENT.on,
    payload=EVENT.payload(),
    created_at=datetime(2025, 3, 10, 18, tzinfo=UTC),
)


def test_the_alert_counts_what_waits_and_names_no_pupil() -> None:
    view = alert_view(PENDING, None, INBOX)
    assert view.title == "Mail waits in the quarantine"
    assert "3 message(s) matched no case (the oldest received 2025-03-03)" in view.what_happened
    assert view.pupil == "The service (no pupil)" and view.case_url == INBOX


def test_teams_opens_the_inbox_and_slack_links_it_without_case_buttons() -> None:
    view = alert_view(PENDING, None, INBOX)
    card = adaptive_card(view)
    assert card_errors(card) == []
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open the page", "url": INBOX}]
    blocks = alert_blocks(view)
    assert not any(b["type"] == "actions" for b in blocks)
    assert blocks[-1]["text"]["text"] == f"<{INBOX}|Open the page>"
