"""The flood limits (casework/inbound.py, casework/mail_trust.py) on SQLite and PostgreSQL: what
is not proven is held back past the hour's limit; what is proven is all kept; one alert of a
kind per case per hour."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from casework.consent import record_consent
from casework.inbound import Arrived, ReadHere, file_messages
from casework.mail_trust import CASE_LIMIT, SENDER_LIMIT, Proof
from casework.records import EmailRecord
from casework.sending import send_letter
from mail.reading import Reading
from supportfirst.bootstrap import App
from tests import builders as b
from tests.cases import HEAD, one_family

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
ON = date(2025, 3, 10)
PARENT = "alex@example.org"
FORM = ("consent-form.pdf", b"%PDF-1.4 the signed consent form")
NOTHING = Proof("supportfirst", "example.org", "none", None)
PROVEN = Proof("mx.school.test", "example.org", "pass", "reject", (("example.org", "pass"),))


@pytest.fixture
async def emailed(app: App, test_domains_are_valid: None) -> EmailRecord:
    await one_family(app, NOW)
    await record_consent(app.uow(), app.evidence(), "P1", PARENT, "form", ON, "o", NOW, FORM)
    await send_letter(app.uow(), app.mailroom(), "initial_concern", b.UPN_1, HEAD, ON, NOW)
    async with app.uow() as uow:
        [email] = await uow.mail.emails_for(b.UPN_1)
    return email


@pytest.fixture
def test_domains_are_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    import email_validator

    names = [n for n in email_validator.SPECIAL_USE_DOMAIN_NAMES if n != "test"]
    monkeypatch.setattr(email_validator, "SPECIAL_USE_DOMAIN_NAMES", names)


def reading(email: EmailRecord, n: int, kind: str, proof: Proof, **kw: object) -> Reading:
    r = Reading(
        kind,
        "5.1.1 no such user" if kind == "bounce" else "",
        f"<m{n}@example.org>",
        "MAILER-DAEMON@example.org" if kind == "bounce" else PARENT,
        "Re: Sam",
        (email.message_id,),
        (),
        (),
        False,
        False,
        proof,
    )
    return replace(r, **kw)  # type: ignore[arg-type]


async def file(app: App, readings: list[Reading]) -> None:
    by_bytes = {f"message {i}".encode(): r for i, r in enumerate(readings)}
    arrived = [Arrived(raw, "INBOX") for raw in by_bytes]
    await file_messages(app.uow(), app.evidence(), ReadHere(by_bytes.__getitem__), arrived, NOW)


async def outcome(app: App) -> tuple[dict[str | None, int], list[str]]:
    async with app.uow() as uow:
        inbound = await uow.mail.inbound()
        alerts = [e.kind for e in await uow.outbox.undelivered(1000)]
    held: dict[str | None, int] = {}
    for m in inbound:
        held[m.quarantine] = held.get(m.quarantine, 0) + 1
    return held, alerts


async def test_unproven_replies_past_the_senders_limit_are_held_back(
    app: App, emailed: EmailRecord
) -> None:
    await file(app, [reading(emailed, n, "reply", NOTHING) for n in range(SENDER_LIMIT + 5)])
    held, alerts = await outcome(app)
    assert held == {None: SENDER_LIMIT, "rate_limited": 5}
    assert alerts.count("ParentReplied") == 1


async def test_proven_replies_are_all_kept_and_alert_once(app: App, emailed: EmailRecord) -> None:
    await file(app, [reading(emailed, n, "reply", PROVEN) for n in range(SENDER_LIMIT + 5)])
    held, alerts = await outcome(app)
    assert held == {None: SENDER_LIMIT + 5} and alerts.count("ParentReplied") == 1


async def test_unverified_reports_are_limited_per_case_not_per_mail_system(
    app: App, emailed: EmailRecord
) -> None:
    await file(app, [reading(emailed, n, "bounce", NOTHING) for n in range(CASE_LIMIT + 3)])
    held, alerts = await outcome(app)
    assert held == {None: CASE_LIMIT, "rate_limited": 3}
    assert alerts.count("BounceUnverified") == 1 and "EmailFailed" not in alerts


async def test_reports_naming_our_relays_queue_id_are_never_held_back(
    app: App, emailed: EmailRecord
) -> None:
    async with app.uow() as uow:  # as if the relay had accepted it: "queued as 4XyZ9QpR2"
        conn = await uow.session.connection()
        await conn.execute(text("UPDATE outgoing_mail SET queue_id = '4XyZ9QpR2'"))
        await uow.commit()
    readings = [
        reading(emailed, n, "bounce", NOTHING, queue_ids=("4XyZ9QpR2",))
        for n in range(SENDER_LIMIT + 5)
    ]
    await file(app, readings)
    held, alerts = await outcome(app)
    assert held == {None: SENDER_LIMIT + 5} and "BounceUnverified" not in alerts
