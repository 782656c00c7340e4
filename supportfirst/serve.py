"""`supportfirst serve`: the long-running service on the embedded defaults.

Runs the daily review (at start-up and then each day at SUPPORTFIRST_REVIEW_TIME), the sender
(through SUPPORTFIRST_SMTP_URL, or an embedded SMTP server on loopback that files mail into local
Maildirs), the ingester (SUPPORTFIRST_IMAP_URL, SUPPORTFIRST_INBOX_MAILDIR or the local inbox
Maildir), delivers alerts (supportfirst/alerting.py: the console, Slack, Teams),
and answers `GET /healthz` with 200 while the database is reachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import date, datetime, time, timedelta

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from sqlalchemy import text

from casework.thresholds import daily_review
from supportfirst.alerting import Alerts, slack_app, socket_mode
from supportfirst.bootstrap import App, utcnow
from supportfirst.ingesting import ingest_forever, open_inbox
from supportfirst.sending import Sender, smtp_server

log = logging.getLogger("supportfirst")


def _seconds_until(at: time, now: datetime) -> float:
    target = datetime.combine(now.date(), at)
    if target <= now:
        target += timedelta(days=1)
    return (target - now).total_seconds()


async def _review_loop(application: App) -> None:
    at = time.fromisoformat(application.settings.review_time)
    while True:
        try:
            events = await daily_review(application.uow(), date.today(), utcnow())
            log.info("daily review for %s: %d events", date.today(), len(events))
        except Exception:
            log.exception("daily review failed; will try again at the next review time")
        await asyncio.sleep(_seconds_until(at, datetime.now()))


def make_web_app(application: App, slack: AsyncApp | None = None) -> web.Application:
    async def healthz(_request: web.Request) -> web.Response:
        try:
            async with application.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as e:  # any failure to reach the database is "unhealthy"
            return web.json_response(
                {"status": "database unreachable", "error": str(e)}, status=503
            )
        return web.json_response({"status": "ok"})

    web_app = web.Application()
    web_app.router.add_get("/healthz", healthz)
    if slack is not None:
        bolt = slack

        async def slack_events(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await bolt.async_dispatch(await to_bolt_request(request))
            )

        web_app.router.add_post("/slack/events", slack_events)
        flow = bolt.oauth_flow
        if flow is not None:  # multi-workspace installs
            oauth = flow

            async def install(request: web.Request) -> web.Response:
                return await to_aiohttp_response(
                    await oauth.handle_installation(await to_bolt_request(request))
                )

            async def redirect(request: web.Request) -> web.Response:
                return await to_aiohttp_response(
                    await oauth.handle_callback(await to_bolt_request(request))
                )

            web_app.router.add_get("/slack/install", install)
            web_app.router.add_get("/slack/oauth_redirect", redirect)
    return web_app


async def serve_forever(application: App, host: str, port: int) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    slack = slack_app(application)
    runner = web.AppRunner(make_web_app(application, slack))
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    print(
        f"supportfirst serving on http://{host}:{port} (database {application.url}); "
        "alerts print here",
        flush=True,
    )
    async with contextlib.AsyncExitStack() as stack:
        server = await stack.enter_async_context(smtp_server(application))
        sender = Sender(application, server, application.settings.smtp_connections)
        stack.push_async_callback(sender.close)
        inbox = open_inbox(application)
        stack.callback(inbox.close)
        alerts = Alerts(application)
        stack.push_async_callback(alerts.close)
        if slack is not None and (socket := await socket_mode(application, slack)) is not None:
            stack.push_async_callback(socket.close_async)
        embedded = "" if application.settings.smtp_url else " (embedded, into local Maildirs)"
        print(
            f"sending through smtp://{server.host}:{server.port}{embedded}; "
            f"reading replies from {inbox.name}",
            flush=True,
        )
        tasks = [
            asyncio.create_task(_review_loop(application)),
            asyncio.create_task(alerts.run_forever()),
            asyncio.create_task(sender.run_forever(application.settings.sender_idle_seconds)),
            asyncio.create_task(ingest_forever(application, inbox)),
        ]
        try:
            await asyncio.Event().wait()
        finally:
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await t
            await runner.cleanup()
