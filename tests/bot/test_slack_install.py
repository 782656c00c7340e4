"""Multi-workspace installs: Bolt's OAuth flow at /slack/install, the installation kept in our
own database, and a command from the new workspace answered with that workspace's token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import text

from casework.events import ThresholdMet
from casework.imports import import_csv
from supportfirst.alerting import Alerts, slack_app
from supportfirst.bootstrap import App, bootstrap
from supportfirst.serve import make_web_app
from supportfirst.settings import Settings
from tests import builders as b
from tests.cases import enrol
from tests.slackapi import SlackStandIn, end_lazy_answers, signed_headers, slash_command_body

SECRET = "install-signing-secret"
NOW = datetime(2025, 3, 7, 15, 0, tzinfo=UTC)


@pytest.fixture
async def service(
    db_url: str, tmp_path: Path, slack_api: SlackStandIn
) -> AsyncIterator[tuple[App, str]]:
    slack_api.token = None  # tokens come from the OAuth exchange
    slack_api.handle(
        "oauth.v2.access",
        lambda args: {
            "app_id": "A0APP",
            "authed_user": {"id": "U1OFFICER"},
            "scope": "commands,chat:write",
            "token_type": "bot",
            "access_token": "xoxb-installed-T9",
            "bot_user_id": "U0BOT",
            "team": {"id": "T9", "name": "Riverside"},
            "enterprise": None,
            "is_enterprise_install": False,
        },
    )
    settings = Settings(
        data_dir=tmp_path / "data",
        slack_signing_secret=SECRET,
        slack_client_id="111.222",
        slack_client_secret="client-secret",
        slack_api_url=slack_api.base_url,
    )
    app = bootstrap(settings, db_url, migrate=False)
    for kind, data in (("schools", b.schools()), ("pupils", b.pupils(b.UPN_1))):
        await import_csv(app.uow(), kind, f"{kind}.csv", data, "o", NOW)
    await enrol(app.uow, "U1OFFICER", "Ms Patel", "attendance_officer", now=NOW)
    runner = web.AppRunner(make_web_app(app, slack_app(app)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield app, f"http://127.0.0.1:{port}"
    await runner.cleanup()
    await end_lazy_answers()
    await app.close()


async def test_a_workspace_installs_the_app_and_its_commands_use_its_token(
    service: tuple[App, str], slack_api: SlackStandIn
) -> None:
    app, base = service
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/slack/install") as page:
            html = await page.text()
            cookie = page.headers["Set-Cookie"].split(";")[0]  # Secure: a browser would send it
        assert page.status == 200
        state = re.search(r"state=([A-Za-z0-9-]+)", html)
        assert state is not None and "client_id=111.222" in html
        async with http.get(
            f"{base}/slack/oauth_redirect",
            params={"code": "c0de", "state": state.group(1)},
            headers={"Cookie": cookie},
        ) as done:
            assert done.status == 200, await done.text()
        async with app.engine.connect() as conn:
            bots = (await conn.execute(text("SELECT team_id, bot_token FROM slack_bots"))).all()
        assert [tuple(r) for r in bots] == [("T9", "xoxb-installed-T9")]
        body = slash_command_body(
            text=f"status {b.UPN_1}",
            team_id="T9",
            user_id="U1OFFICER",
            response_url=slack_api.response_url(),
        )
        async with http.post(
            f"{base}/slack/events", data=body, headers=signed_headers(SECRET, body)
        ) as r:
            assert r.status == 200
    [answer] = await slack_api.wait_for_calls("response_url")
    assert "Year 5" in str(answer.args["text"])
    exchange = slack_api.calls_to("oauth.v2.access")[0]
    assert exchange.args["code"] == "c0de"


async def test_alerts_go_to_the_installed_workspace_with_its_token(
    service: tuple[App, str], slack_api: SlackStandIn
) -> None:
    app, base = service
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/slack/install") as page:
            state = re.search(r"state=([A-Za-z0-9-]+)", await page.text())
            cookie = page.headers["Set-Cookie"].split(";")[0]
        assert state is not None
        await http.get(
            f"{base}/slack/oauth_redirect",
            params={"code": "c0de", "state": state.group(1)},
            headers={"Cookie": cookie},
        )
    app.settings.slack_team_id, app.settings.slack_alert_channel = "T9", "C1"
    slack_api.token = "xoxb-installed-T9"  # from now on only the installed token is accepted
    async with app.uow() as uow:
        await uow.outbox.add(ThresholdMet(b.UPN_1, NOW.date(), 10, NOW.date()), NOW)
        await uow.commit()
    alerts = Alerts(app)
    assert (await alerts.deliver()).posts == 2  # the console and the workspace's channel
    assert len(slack_api.posted("C1")) == 1
