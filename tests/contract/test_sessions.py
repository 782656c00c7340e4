"""Sign-in links and case-page sessions: the fake and the real store agree (once, expiry,
idle limit, sign-out), driven through the use cases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from casework.errors import NotFound, Refused
from casework.ports import UnitOfWork
from casework.records import StaffRecord
from casework.signin import current_staff, redeem_link, sign_in_link, sign_out, token_hash
from tests.contract.conftest import NOW


async def staff(uow: UnitOfWork) -> None:
    async with uow:
        await uow.chat.save_staff(StaffRecord("U0DSL", "Dee Lee", "dsl"), NOW)
        await uow.commit()


async def test_a_link_opens_one_session_once(uow: UnitOfWork) -> None:
    await staff(uow)
    token = await sign_in_link(uow, "U0DSL", "officer", NOW)
    secret, session = await redeem_link(uow, token, NOW + timedelta(minutes=14))
    assert session.staff_id == "U0DSL" and session.how == "link" and session.csrf_token
    with pytest.raises(Refused):
        await redeem_link(uow, token, NOW + timedelta(minutes=14))
    found = await current_staff(uow, secret, NOW + timedelta(hours=1))
    assert found is not None and found[0].name == "Dee Lee"
    async with uow:
        stored = await uow.sessions.find(token_hash(secret))
        kinds = [e.action for e in await uow.audit.all()]
    assert stored is not None and stored.last_seen_at == NOW + timedelta(hours=1)
    assert kinds == ["web.link_issued", "web.signed_in"]


async def test_a_link_expires_after_15_minutes_and_unknown_ones_fail(uow: UnitOfWork) -> None:
    await staff(uow)
    token = await sign_in_link(uow, "U0DSL", "officer", NOW)
    with pytest.raises(Refused):
        await redeem_link(uow, token, NOW + timedelta(minutes=15))
    with pytest.raises(Refused):
        await redeem_link(uow, "made-up", NOW)
    with pytest.raises(NotFound):
        await sign_in_link(uow, "U0NOBODY", "officer", NOW)


async def test_a_session_idles_out_after_8_hours_and_ends_on_sign_out(uow: UnitOfWork) -> None:
    await staff(uow)
    secret, _ = await redeem_link(uow, await sign_in_link(uow, "U0DSL", "o", NOW), NOW)
    assert await current_staff(uow, secret, NOW + timedelta(hours=7, minutes=59)) is not None
    later = NOW + timedelta(hours=16)
    assert await current_staff(uow, secret, later) is None  # 8 h 1 min idle
    secret, _ = await redeem_link(uow, await sign_in_link(uow, "U0DSL", "o", later), later)
    await sign_out(uow, secret, later)
    assert await current_staff(uow, secret, later) is None
    assert await current_staff(uow, None, later) is None
