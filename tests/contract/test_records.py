"""The Consents, Outbox, Chat and Audit ports, and the unit of work's transaction rule."""

from __future__ import annotations

from datetime import timedelta

from attendance.consent import ConsentRecord
from casework.audit import GENESIS, entry_message
from casework.events import NtiIssued, ThresholdMet
from casework.ports import UnitOfWork
from casework.records import AlertPostRecord, AlertState, ChainTip, StaffRecord
from store.signing import SigningKey
from tests.contract.conftest import DAY, NOW, OTHER_UPN, UPN, consent, seed


async def test_consents_by_parent_address_and_pupil(uow: UnitOfWork) -> None:
    await seed(uow)
    first = await consent(uow, "P1", "alex@example.org")
    shared = await consent(uow, "P3", "Alex@Example.ORG")
    async with uow:
        await uow.consents.withdraw(first, DAY + timedelta(days=1))
        await uow.commit()
    async with uow:
        [p1] = await uow.consents.for_parent("P1")
        assert p1 == ConsentRecord(
            first, "P1", "alex@example.org", "paper form", DAY, None, DAY + timedelta(days=1)
        )
        assert [c.id for c in await uow.consents.with_address(" ALEX@example.org")] == [
            first,
            shared,
        ]
        assert [c.id for c in await uow.consents.listing()] == [first, shared]
        # P1 is a parent of both pupils; P3 of the other one only.
        assert [c.id for c in await uow.consents.listing(UPN)] == [first]
        assert [c.id for c in await uow.consents.listing(OTHER_UPN)] == [first, shared]
        assert await uow.consents.for_parent("P2") == []


async def test_the_outbox_keeps_events_until_delivered(uow: UnitOfWork) -> None:
    await seed(uow)
    first, second = ThresholdMet(UPN, DAY, 10, DAY), NtiIssued(OTHER_UPN, DAY, 1, DAY)
    async with uow:
        first_id = await uow.outbox.add(first, NOW)
        second_id = await uow.outbox.add(second, NOW + timedelta(minutes=1))
        await uow.commit()
    async with uow:
        pending = await uow.outbox.undelivered()
        assert [(p.id, p.kind, p.upn, p.on, p.payload) for p in pending] == [
            (first_id, "ThresholdMet", UPN, DAY, first.payload()),
            (second_id, "NtiIssued", OTHER_UPN, DAY, second.payload()),
        ]
        assert [p.id for p in await uow.outbox.undelivered(limit=1)] == [first_id]
        await uow.outbox.delivered(first_id, NOW)
        await uow.outbox.delivered("no-such-event", NOW)
        await uow.commit()
    async with uow:
        assert [p.id for p in await uow.outbox.undelivered()] == [second_id]
        assert [p.id for p in await uow.outbox.recent(NOW)] == [second_id, first_id]
        assert [p.id for p in await uow.outbox.recent(NOW + timedelta(seconds=30))] == [second_id]
        assert [p.id for p in await uow.outbox.recent(NOW, limit=1)] == [second_id]


ANN = StaffRecord(
    "ANN",
    "Ann",
    "attendance_officer",
    email="ann@school.example",
    phone="01632 960123",
    slack_user_id="U1ANN",
    schools=("100001", "100002"),
)


async def test_staff_and_alert_routes(uow: UnitOfWork) -> None:
    async with uow:
        await uow.chat.save_staff(StaffRecord("U2", "Zoe", "dsl", all_schools=True), NOW)
        await uow.chat.save_staff(StaffRecord("U1", "Ann", "read_only", schools=("1", "2")), NOW)
        await uow.chat.save_staff(ANN, NOW)
        await uow.chat.add_route("*", "console", NOW)
        await uow.chat.add_route("ThresholdMet", "slack:C1", NOW)
        await uow.chat.add_route("*", "console", NOW)
        await uow.commit()
    async with uow:
        assert await uow.chat.staff("ANN") == ANN
        assert await uow.chat.staff_for_slack("U1ANN") == ANN
        assert await uow.chat.staff("U9") is None and await uow.chat.staff_for_slack("U9") is None
        added = [m.id for m in await uow.chat.all_staff() if m.id != "HEAD"]  # (the fake's)
        assert added == ["ANN", "U1", "U2"]
        assert await uow.chat.routes() == [("*", "console"), ("ThresholdMet", "slack:C1")]
        assert await uow.chat.remove_route("*", "console") is True
        assert await uow.chat.remove_route("*", "console") is False
        await uow.commit()
    async with uow:
        assert await uow.chat.routes() == [("ThresholdMet", "slack:C1")]


def posting(event_id: str, thread_key: str | None = None) -> AlertPostRecord:
    return AlertPostRecord(
        event_id=event_id,
        destination="slack:C1",
        state=AlertState.POSTING,
        started_at=NOW,
        thread_key=thread_key,
    )


async def test_an_alert_post_is_begun_once_then_finished(uow: UnitOfWork) -> None:
    post = posting("e1", "thread:A1")
    async with uow:
        await uow.chat.begin_post(post)
        await uow.chat.begin_post(posting("e1"))
        await uow.chat.begin_post(posting("e2", "thread:A1"))
        await uow.commit()
    async with uow:
        assert await uow.chat.posts("e1") == {"slack:C1": post}
        assert await uow.chat.thread("thread:A1", "slack:C1") is None  # nothing posted yet
        await uow.chat.finish_post("e2", "slack:C1", "C1", "1.2", NOW)
        await uow.chat.finish_post("e1", "slack:C1", "C1", "1.1", NOW)
        await uow.commit()
    async with uow:
        posted = (await uow.chat.posts("e1"))["slack:C1"]
        first = await uow.chat.thread("thread:A1", "slack:C1")
        assert await uow.chat.thread("thread:A1", "slack:C2") is None
    assert (posted.state, posted.channel, posted.ts) == (AlertState.POSTED, "C1", "1.1")
    assert posted.state is AlertState.POSTED
    assert first is not None and first.event_id == "e1"


async def test_the_audit_log_is_one_hash_chain(uow: UnitOfWork) -> None:
    async with uow:
        assert await uow.audit.head() is None
        one = await uow.audit.append("office", "import", "pupil:A1", {"rows": 2}, NOW)
        two, three = await uow.audit.append_many(
            "office", [("nti.issued", "pupil:A1", {"id": 1}), ("note", "pupil:B1", {})], NOW
        )
        await uow.commit()
    assert (one.seq, one.prev_hash, two.prev_hash, three.prev_hash) == (
        1,
        GENESIS,
        one.hash,
        two.hash,
    )
    async with uow:
        assert await uow.audit.all() == [one, two, three]
        assert await uow.audit.head() == three.hash
        assert await uow.audit.tip() == ChainTip(3, three.hash, None)  # nothing signed


async def test_signed_entries_and_the_chain_tip(signed_uow: tuple[UnitOfWork, SigningKey]) -> None:
    signed, key = signed_uow
    async with signed:
        assert await signed.audit.tip() == ChainTip(0, GENESIS, None)
        one, two = await signed.audit.append_many(
            "office", [("note", "pupil:A1", {}), ("note", "pupil:B1", {"n": 2})], NOW
        )
        await signed.commit()
    assert one.signature and two.signature and one.signature != two.signature
    assert key.verify(entry_message(two.hash), two.signature)
    async with signed:
        assert await signed.audit.all() == [one, two]  # the signature is stored and read back
        assert await signed.audit.tip() == ChainTip(2, two.hash, 1)


async def test_nothing_is_kept_unless_committed(uow: UnitOfWork) -> None:
    await seed(uow)
    async with uow:
        await uow.cases.add_entry(UPN, DAY, "note", "office", "kept?", {}, NOW)
        await uow.outbox.add(ThresholdMet(UPN, DAY), NOW)
    async with uow:
        assert await uow.cases.entries(UPN) == []
        assert await uow.outbox.undelivered() == []
        await uow.cases.add_entry(UPN, DAY, "note", "office", "kept", {}, NOW)
        await uow.rollback()
        assert await uow.cases.entries(UPN) == []
