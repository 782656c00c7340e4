"""The one guard (casework.access.admit) on the in-memory unit of work: who, role, school, and
what the act names; each refusal audited once, with why."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from casework.access import Act, Caller, Forbidden, NoSuchPupil, admit
from casework.events import ThresholdMet
from casework.imports import import_csv
from casework.records import NoticeRecord, NoticeStatus, StaffRecord
from tests import builders as b
from tests.fakes import FakeUnitOfWork

NOW = datetime(2025, 3, 7, 16, 0, tzinfo=UTC)
DSL_B = StaffRecord("DSLB", "Dee Lee", "dsl", slack_user_id="U3DSL", schools=(b.SCHOOL_B,))


async def school() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    pupils = b.csv_bytes(
        "upn,first_name,last_name,date_of_birth,school_urn,year_group",
        [
            f"{b.UPN_1},Sam,Taylor,2015-03-01,{b.SCHOOL_A},5",
            f"{b.UPN_2},Jo,Moss,2015-04-01,{b.SCHOOL_B},5",
        ],
    )
    for kind, data in (("schools", b.schools()), ("pupils", pupils)):
        await import_csv(uow, kind, f"{kind}.csv", data, "HEAD", NOW)
    async with uow:
        await uow.chat.save_staff(DSL_B, NOW)
        await uow.commit()
    return uow


async def refused(uow: FakeUnitOfWork, caller: Caller, act: Act) -> tuple[str, dict[str, object]]:
    before = len(await uow.audit.all())
    with pytest.raises(Forbidden) as e:
        await admit(lambda: uow, caller, act, NOW)
    records = await uow.audit.all()
    assert len(records) == before + 1
    return str(e.value), json.loads(records[-1].details)


async def test_staff_act_on_their_own_schools_pupils_only() -> None:
    uow = await school()
    ok = await admit(lambda: uow, Caller("DSLB"), Act("log", upn=b.UPN_2), NOW)
    assert ok.member == DSL_B and ok.pupil is not None and ok.pupil.upn == b.UPN_2
    why, details = await refused(uow, Caller("Dee Lee"), Act("log", upn=b.UPN_1))
    assert why == f"Sorry, pupil {b.UPN_1} is not at one of your schools: nothing was done."
    assert details["caller"] == "Dee Lee" and details["reason"] == why
    assert (await uow.audit.all())[-1].action == "cli.refused"


async def test_a_role_that_does_not_allow_the_act_is_refused_before_anything_else() -> None:
    uow = await school()
    why, details = await refused(uow, Caller("U3DSL", "slack", "T1"), Act("nti", upn=b.UPN_2))
    assert why.startswith("Sorry, your role (dsl) does not allow `nti`")
    assert details["user_id"] == "U3DSL" and details["team_id"] == "T1"
    assert (await uow.audit.all())[-1].action == "chat.refused"


async def test_someone_not_on_the_staff_is_refused_and_audited_by_what_they_said() -> None:
    uow = await school()
    why, _ = await refused(uow, Caller("Mr Nobody", "web"), Act("status", upn=b.UPN_1))
    assert why.startswith("Sorry, you are not set up as staff")
    assert (await uow.audit.all())[-1].actor == "unknown web user Mr Nobody"


async def test_an_alert_or_notice_must_exist_and_be_about_the_pupil_named() -> None:
    uow = await school()
    async with uow:
        event_id = await uow.outbox.add(ThresholdMet(b.UPN_1, date(2025, 3, 7), 10), NOW)
        d = date(2025, 3, 7)
        notice = NoticeRecord(
            0, b.UPN_1, "Essex", d, "HEAD", "x", 0, 10, d, d, d, NoticeStatus.IN_PROGRESS
        )
        notice_id = await uow.cases.add_notice(notice, [])
        await uow.commit()
    head = Caller("HEAD")
    assert (await admit(lambda: uow, head, Act("log", upn=b.UPN_1, event_id=event_id), NOW)).pupil
    why, _ = await refused(uow, head, Act("log", upn=b.UPN_2, event_id=event_id))
    assert why == f"Sorry, alert {event_id!r} is not about {b.UPN_2}: nothing was done."
    why, _ = await refused(uow, head, Act("log", upn=b.UPN_1, event_id="made-up"))
    assert why == "Sorry, there is no alert 'made-up': nothing was done."
    admitted = await admit(lambda: uow, head, Act("nti", notice_id=notice_id), NOW)
    assert admitted.pupil is not None and admitted.pupil.upn == b.UPN_1
    why, _ = await refused(uow, head, Act("nti", notice_id=notice_id + 7))
    assert "there is no Notice to Improve" in why
    why, _ = await refused(uow, Caller("DSLB"), Act("status", notice_id=notice_id))
    assert "is not at one of your schools" in why


async def test_a_slack_workspace_mapped_to_schools_limits_everyone_in_it() -> None:
    uow = await school()
    async with uow:
        await uow.chat.add_workspace_school("T2", b.SCHOOL_A, NOW)
        head = uow.chat.members["HEAD"]
        await uow.chat.save_staff(StaffRecord(**{**vars(head), "slack_user_id": "U0HEAD"}), NOW)
        await uow.commit()
    await admit(lambda: uow, Caller("U0HEAD", "slack", "T2"), Act("log", upn=b.UPN_1), NOW)
    why, _ = await refused(uow, Caller("U0HEAD", "slack", "T2"), Act("log", upn=b.UPN_2))
    assert why == f"Sorry, pupil {b.UPN_2} is not at a school of this Slack workspace."
    await admit(lambda: uow, Caller("U0HEAD", "slack", "T9"), Act("log", upn=b.UPN_2), NOW)


async def test_a_pupil_not_on_the_register_is_told_apart() -> None:
    uow = await school()
    with pytest.raises(NoSuchPupil):
        await admit(lambda: uow, Caller("HEAD"), Act("status", upn="Z999999999999"), NOW)
