"""The case pages on a real aiohttp server on loopback, over the real store (SQLite and
PostgreSQL through the `app` fixture), with a case that has met the threshold and a letter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from casework.records import StaffRecord
from casework.sending import send_letter
from casework.signin import sign_in_link
from casework.thresholds import daily_review
from supportfirst.bootstrap import App
from supportfirst.serve import make_web_app
from tests import builders as b
from tests.cases import HEAD, one_family

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
ON = date(2025, 3, 10)
OFFICER = StaffRecord(
    "U0OFFICER", "Ms Patel", "attendance_officer", slack_user_id="U0OFFICER", schools=(b.SCHOOL_A,)
)
READER = StaffRecord("U0READER", "Mr Read", "read_only", schools=(b.SCHOOL_A,))


@dataclass
class Fixed:
    at: datetime

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.date()


@dataclass
class Site:
    app: App
    server: TestServer

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def link(self, staff_id: str) -> str:
        return self.url(f"/signin/{await sign_in_link(self.app.uow(), staff_id, HEAD, NOW)}")

    async def signed_in(self, staff_id: str) -> aiohttp.ClientSession:
        session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        async with session.post(await self.link(staff_id), allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/cases"
        return session


async def one_case(app: App) -> None:
    """A family whose child has met the threshold (its alert waiting), a letter sent, and an
    officer and a read-only member of the school's staff."""
    await one_family(app, NOW, marks_from=date(2025, 1, 6))
    async with app.uow() as uow:
        for member in (OFFICER, READER):
            await uow.chat.save_staff(member, NOW)
        await uow.commit()
    await daily_review(app.uow(), ON, NOW)
    await send_letter(app.uow(), app.mailroom(), "initial_concern", b.UPN_1, HEAD, ON, NOW)


@pytest.fixture
async def site(app: App) -> AsyncIterator[Site]:
    await one_case(app)
    app.clock = Fixed(NOW)  # the pages' time is the case's time
    server = TestServer(make_web_app(app), host="127.0.0.1")
    await server.start_server()
    yield Site(app, server)
    await server.close()
