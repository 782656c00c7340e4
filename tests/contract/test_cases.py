"""The Cases port: the chronology, threshold episodes, notices with their deliveries (and the
named changes of both), and penalty notices."""

from __future__ import annotations

from datetime import timedelta

from attendance.penalty import PenaltyKind, PenaltyRecord
from casework.ports import UnitOfWork
from casework.records import (
    Delivery,
    DeliveryState,
    Entry,
    Episode,
    HowDelivered,
    NoticeRecord,
    NoticeStatus,
    Route,
)
from tests.contract.conftest import DAY, NOW, OTHER_UPN, UPN, seed

LATER = DAY + timedelta(days=2)


def notice(upn: str = UPN) -> NoticeRecord:
    return NoticeRecord(
        0,
        upn,
        "Essex",
        DAY,
        "office",
        "attend every day",
        2,
        10,
        DAY - timedelta(weeks=10),
        DAY + timedelta(days=1),
        DAY + timedelta(weeks=6),
        NoticeStatus.IN_PROGRESS,
    )


DELIVERIES = [
    Delivery("P2", Route.POST, DeliveryState.AWAITING_POST),
    Delivery("P1", Route.EMAIL, DeliveryState.QUEUED, "<m1@school.test>"),
]


async def issued(uow: UnitOfWork) -> int:
    await seed(uow)
    async with uow:
        notice_id = await uow.cases.add_notice(notice(), DELIVERIES[:1])
        await uow.cases.add_deliveries(notice_id, DELIVERIES[1:])
        await uow.commit()
    return notice_id


async def deliveries(uow: UnitOfWork, notice_id: int) -> list[Delivery]:
    async with uow:
        return await uow.cases.deliveries(notice_id)


async def test_entries_come_back_in_date_order_with_details_as_json(uow: UnitOfWork) -> None:
    await seed(uow)
    async with uow:
        later = await uow.cases.add_entry(UPN, LATER, "note", "office", "b", {"on": DAY}, NOW)
        first = await uow.cases.add_entry(UPN, DAY, "note", "office", "a", {"n": 1}, NOW)
        await uow.cases.add_entry(OTHER_UPN, DAY, "note", "office", "c", {}, NOW)
        await uow.commit()
    async with uow:
        entries = await uow.cases.entries(UPN)
    assert entries == [
        Entry(
            id=first,
            upn=UPN,
            on=DAY,
            recorded_at=NOW,
            kind="note",
            by="office",
            summary="a",
            details={"n": 1},
        ),
        Entry(
            id=later,
            upn=UPN,
            on=LATER,
            recorded_at=NOW,
            kind="note",
            by="office",
            summary="b",
            details={"on": DAY.isoformat()},
        ),
    ]


async def test_an_episode_is_open_until_closed(uow: UnitOfWork) -> None:
    await seed(uow)
    episode = Episode(
        upn=UPN, first_met_on=DAY, unauthorised_sessions=10, window_start=DAY - timedelta(weeks=10)
    )
    async with uow:
        await uow.cases.open_episode(episode)
        await uow.cases.open_episode(
            Episode(upn=OTHER_UPN, first_met_on=DAY, unauthorised_sessions=12, window_start=DAY)
        )
        await uow.commit()
    async with uow:
        assert (await uow.cases.open_episodes())[UPN] == episode
        await uow.cases.close_episode(UPN, LATER)
        await uow.commit()
    async with uow:
        assert list(await uow.cases.open_episodes()) == [OTHER_UPN]
        await uow.cases.open_episode(episode)
        await uow.commit()
    async with uow:  # many at once, as the daily review closes them; an unknown pupil is none
        await uow.cases.close_episodes([UPN, OTHER_UPN, "Z999999999999"], LATER)
        await uow.commit()
    async with uow:
        assert await uow.cases.open_episodes() == {}


async def test_a_notice_and_its_deliveries_read_back_as_added(uow: UnitOfWork) -> None:
    notice_id = await issued(uow)
    async with uow:
        [stored] = await uow.cases.notices(UPN)
        assert await uow.cases.notices(OTHER_UPN) == []
        assert await uow.cases.notices(open_only=True) == [stored]
    assert stored == NoticeRecord(**{**notice().__dict__, "id": notice_id})
    assert stored.status is NoticeStatus.IN_PROGRESS
    got = await deliveries(uow, notice_id)
    assert got == sorted(DELIVERIES, key=lambda d: d.parent_id)
    assert {type(d.state) for d in got} == {DeliveryState}
    assert {type(d.route) for d in got} == {Route}


async def test_delivery_sent_and_failed_change_the_delivery_the_email_serves(
    uow: UnitOfWork,
) -> None:
    notice_id = await issued(uow)
    async with uow:
        await uow.cases.delivery_sent("<m1@school.test>", LATER)
        await uow.cases.delivery_sent("<other@school.test>", DAY)
        await uow.commit()
    by_email, by_post = await deliveries(uow, notice_id)
    assert (by_email.state, by_email.deemed_received_on) == (DeliveryState.SENT, LATER)
    assert by_post == DELIVERIES[0]
    async with uow:
        await uow.cases.delivery_failed("<m1@school.test>")
        await uow.commit()
    by_email, _ = await deliveries(uow, notice_id)
    assert (by_email.state, by_email.deemed_received_on) == (DeliveryState.FAILED, LATER)


async def test_delivery_confirmed_records_the_post_or_the_hand_over(uow: UnitOfWork) -> None:
    notice_id = await issued(uow)
    async with uow:
        await uow.cases.delivery_confirmed(notice_id, "P2", HowDelivered.POST, LATER)
        await uow.cases.delivery_confirmed(notice_id + 1, "P1", HowDelivered.HAND, DAY)
        await uow.commit()
    by_email, by_post = await deliveries(uow, notice_id)
    assert (by_post.state, by_post.deemed_received_on) == (DeliveryState.POSTED, LATER)
    assert by_email == DELIVERIES[1]
    async with uow:
        await uow.cases.delivery_confirmed(notice_id, "P1", HowDelivered.HAND, DAY)
        await uow.commit()
    by_email, _ = await deliveries(uow, notice_id)
    assert (by_email.state, by_email.deemed_received_on) == (DeliveryState.HAND_DELIVERED, DAY)


async def test_a_breached_notice_stays_open_until_it_ends(uow: UnitOfWork) -> None:
    notice_id = await issued(uow)
    async with uow:
        await uow.cases.notice_breached(notice_id, LATER)
        await uow.commit()
    async with uow:
        [open_one] = await uow.cases.notices(open_only=True)
        assert (open_one.status, open_one.breached_on, open_one.ended_on) == (
            NoticeStatus.BREACHED,
            LATER,
            None,
        )
        await uow.cases.notice_ended(notice_id, NoticeStatus.NOT_IMPROVED, LATER)
        await uow.commit()
    async with uow:
        assert await uow.cases.notices(open_only=True) == []
        [ended] = await uow.cases.notices(UPN)
        assert await uow.cases.parents_with_failed_nti(["P1", "P2", "P3"]) == {"P1", "P2"}
        assert await uow.cases.parents_with_failed_nti(["P3"]) == set()
    assert (ended.status, ended.breached_on, ended.ended_on) == (
        NoticeStatus.NOT_IMPROVED,
        LATER,
        LATER,
    )
    assert ended.status is NoticeStatus.NOT_IMPROVED


async def test_an_improved_notice_is_not_a_failed_one(uow: UnitOfWork) -> None:
    notice_id = await issued(uow)
    async with uow:
        await uow.cases.notice_ended(notice_id, NoticeStatus.IMPROVED, LATER)
        await uow.commit()
    async with uow:
        [ended] = await uow.cases.notices(UPN)
        assert await uow.cases.parents_with_failed_nti(["P1", "P2"]) == set()
    assert (ended.status, ended.breached_on, ended.ended_on) == (
        NoticeStatus.IMPROVED,
        None,
        LATER,
    )


async def test_penalties_are_kept_per_parent_and_pupil(uow: UnitOfWork) -> None:
    await seed(uow)
    first = PenaltyRecord("P1", UPN, PenaltyKind.ATTENDANCE, DAY, DAY - timedelta(weeks=2))
    async with uow:
        await uow.cases.add_penalty(first)
        await uow.cases.add_penalty(
            PenaltyRecord("P1", OTHER_UPN, PenaltyKind.ATTENDANCE, DAY, DAY)
        )
        await uow.commit()
    async with uow:
        assert await uow.cases.penalties("P1", UPN) == [first]
        assert await uow.cases.penalties("P2", UPN) == []
