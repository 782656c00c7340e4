"""The reads the daily review makes once for many pupils give what the one-pupil reads give,
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from casework.notices import issue_nti
from supportfirst.bootstrap import App
from tests import builders as b
from tests.cases import ABSENT_WEEK, one_family

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
CODES = frozenset({"G", "O", "U"})


async def test_bulk_reads_match_the_one_pupil_reads(app: App) -> None:
    await one_family(app, NOW, marks_from=date(2025, 1, 6))
    notice = await issue_nti(
        app.uow(), app.mailroom(), b.UPN_1, "Ms Patel", "Attend", date(2025, 3, 10), 0, NOW
    )
    async with app.uow() as uow:
        await uow.cases.add_entry(b.UPN_1, date(2025, 3, 11), "note", "Ms Patel", "x", {}, NOW)
        await uow.commit()
    async with app.uow() as uow:
        pupil = await uow.registry.pupil(b.UPN_1)
        assert pupil is not None
        schools = await uow.registry.schools_of([b.UPN_1, "Z999999999999"])
        assert schools == {b.UPN_1: await uow.registry.school(pupil.school_urn)}
        calendars = await uow.registry.calendars([pupil.school_urn, "999999"])
        assert calendars[pupil.school_urn] == await uow.registry.calendar(pupil.school_urn)
        assert calendars[pupil.school_urn].terms and not calendars["999999"].terms

        delivered = await uow.cases.deliveries_of([notice.notice_id, 999])
        assert delivered == {notice.notice_id: await uow.cases.deliveries(notice.notice_id)}
        assert len(delivered[notice.notice_id]) == 2

        entries = await uow.cases.entries(b.UPN_1)
        kinds = await uow.cases.entries_of_kinds([b.UPN_1], ["note", "nti_issued"])
        assert kinds[b.UPN_1] == [e for e in entries if e.kind in ("note", "nti_issued")]
        assert [e.kind for e in kinds[b.UPN_1]][-1] == "note"

        start, end = date(2025, 3, 4), date(2025, 3, 14)
        found = await uow.marks.with_codes([b.UPN_1, b.UPN_2], start, end, CODES)
        assert set(found) == {b.UPN_1}
        assert {(m.day, m.session) for m in found[b.UPN_1]} == {
            (d, s) for d, s in ABSENT_WEEK if d >= start
        }
        assert len(found[b.UPN_1]) == await uow.marks.count_codes(b.UPN_1, start, end, CODES)
        assert all(m.code in CODES and start <= m.day <= end for m in found[b.UPN_1])
        windows = await uow.marks.for_pupils([b.UPN_1, b.UPN_2], start, end)
        assert set(windows) == {b.UPN_1}
        assert windows[b.UPN_1] == [
            m for m in await uow.marks.for_pupil(b.UPN_1) if start <= m.day <= end
        ]
