"""`supportfirst serve`: the long-running service on the embedded defaults.

Runs the daily review (at start-up and then each day at SUPPORTFIRST_REVIEW_TIME), the sender
(through SUPPORTFIRST_SMTP_URL, or an embedded SMTP server on loopback that files mail into local
Maildirs), the ingester (SUPPORTFIRST_IMAP_URL, SUPPORTFIRST_INBOX_MAILDIR or the local inbox
Maildir), delivers alerts (supportfirst/alerting.py: the console, Slack, Teams),
serves the case pages (web/: `/cases`, `/cases/{upn}`, sign-in) and answers `GET /healthz` with
200 while the database is reachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from datetime import datetime, time, timedelta
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from sqlalchemy import text

from bot.slack.elsewhere import AnswersElsewhere
from bot.slack.gate import ReplayGuard, read_body
from casework.audit import record_head
from casework.thresholds import daily_review_once
from mail.sender import SmtpServer
from store.mark_partitions import create_months_ahead
from supportfirst.alerting import slack_app, socket_mode
from supportfirst.bootstrap import App, LoopDied
from supportfirst.dropfolder import DropFolder, import_settled, watch_forever
from supportfirst.ingesting import ingest_forever
from supportfirst.logs import configure_logging
from supportfirst.own_loop import in_own_thread
from supportfirst.own_process import in_own_process
from supportfirst.sending import Sender, smtp_server
from supportfirst.settings import Settings, reveal
from web.deps import WebDeps
from web.oidc import OidcClient, OidcSettings
from web.routes import add_case_pages

log = logging.getLogger("supportfirst")


def _seconds_until(at: time, now: datetime) -> float:
    target = datetime.combine(now.date(), at)
    if target <= now:
        target += timedelta(days=1)
    return (target - now).total_seconds()


def drop_folder(application: App) -> DropFolder | None:
    folder = application.settings.import_dir
    if folder is None:
        return None
    return DropFolder(folder, application.settings.import_settle_seconds)


async def _review_loop(application: App, drop: DropFolder | None) -> None:
    at = application.settings.review_time  # a `time`: checked when the settings were read
    clock = application.clock
    while True:
        try:
            # Each day, so a service that runs for months has its next months' partitions.
            if await create_months_ahead(application.engine, clock.today()) is None:
                log.info("partitions of mark ahead: busy (an import); will try tomorrow")
            if drop is not None:  # the evening's exports first: the review sees them
                await import_settled(application, drop, wait=True)
            events = await daily_review_once(application.uow(), clock.today(), clock.now())
            if events is None:  # another serve on this database, or this one before a restart
                log.info("daily review for %s: already run", clock.today())
            else:
                log.info("daily review for %s: %d events", clock.today(), len(events))
                # The day's head, signed, outside the database: a cut tail shows tomorrow.
                heads = application.heads()
                await record_head(application.uow(), application.signing_key, heads, clock.now())
        except Exception:  # the database may be away for a while: the next review will run
            log.exception("daily review failed; will try again at the next review time")
        await asyncio.sleep(_seconds_until(at, datetime.now()))


def _utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def oidc_client(settings: Settings) -> OidcClient | None:
    """The school's identity provider, when SUPPORTFIRST_OIDC_ISSUER and its client are set."""
    if not (settings.oidc_issuer and settings.oidc_client_id and settings.oidc_client_secret):
        return None
    redirect = f"{settings.public_url.rstrip('/')}/signin/oidc/callback"
    secret = reveal(settings.oidc_client_secret) or ""
    return OidcClient(OidcSettings(settings.oidc_issuer, settings.oidc_client_id, secret, redirect))


def _add_slack(
    web_app: web.Application,
    application: App,
    bolt: AsyncApp,
    answers: AnswersElsewhere | None = None,
) -> None:
    """Slack's endpoint (and, for multi-workspace installs, the install flow): a body is
    bounded, UTF-8, seen once and parsed only then."""
    secret = reveal(application.settings.slack_signing_secret)
    replays = ReplayGuard(secret, application.uow, application.clock.now) if secret else None

    async def slack_events(request: web.Request) -> web.Response:
        if answers is None:
            return await verify_and_ack(request)
        with answers.acking():  # the answers wait until it is acked
            return await verify_and_ack(request)

    async def verify_and_ack(request: web.Request) -> web.Response:
        body = await read_body(request)  # 413 beyond Slack's size, before parsing
        if not _utf8(body):  # Bolt decodes it unchecked: a 500
            return web.Response(status=400, text="the request body is not UTF-8")
        if replays is not None and not await replays.first_time(request, body):
            return web.Response(status=200, headers={"X-Slack-No-Retry": "1"})
        try:
            # Bolt parses the body before it checks the signature, and a `payload` that is
            # not a JSON object raises there.
            bolt_request = AsyncBoltRequest(
                body=body.decode("utf-8"),
                query=request.query_string,
                headers=dict(request.headers),
            )
        except (ValueError, AttributeError, TypeError):
            return web.Response(status=400, text="not a Slack request")
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

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


def make_web_app(
    application: App, slack: AsyncApp | None = None, answers: AnswersElsewhere | None = None
) -> web.Application:
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
    add_case_pages(
        web_app,
        WebDeps(
            application.uow,
            application.evidence,
            application.clock.now,
            application.settings.public_url,
            oidc_client(application.settings),
        ),
    )
    if slack is not None:
        _add_slack(web_app, application, slack, answers)
    return web_app


async def serve_forever(application: App, host: str, port: int) -> None:
    """Serve until cancelled. The HTTP listener (Slack's acks, the case pages) has this event
    loop to itself; Slack's answers (Bolt's lazy listeners) run on a second loop in a thread
    with its own engine (supportfirst/own_loop.py), and the background loops in a child process
    (supportfirst/own_process.py), so an ack waits neither for the answers of the commands
    before it nor for the sender's or the ingester's work. The background loops run under one
    TaskGroup: a loop that dies takes the service down with its error (the exit is non-zero),
    it never keeps running half-alive."""
    # The umask (077) is set by the CLI's entry, `supportfirst serve` included: a process-wide
    # setting, so not here, where tests run the service inside their own process.
    configure_logging()
    # Its own engine: connections belong to the loop that opened them.
    answering, answers = application.on_another_loop(), AnswersElsewhere(log)
    slack = slack_app(application, (answering, answers))
    answering_loop = asyncio.create_task(
        in_own_thread(lambda: _answer(answers, answering), "supportfirst-answers")
    )
    await answers.running()
    runner = web.AppRunner(make_web_app(application, slack, answers))
    try:
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        print(
            f"supportfirst serving on http://{host}:{port} (database {application.shown_url}); "
            "alerts print here",
            flush=True,
        )
        async with contextlib.AsyncExitStack() as stack:
            await _connect_socket_mode(application, slack, stack)
            await _background(application)
    except* LoopDied as died:
        raise died.exceptions[0] from None
    finally:
        await runner.cleanup()
        answering_loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await answering_loop


async def _answer(answers: AnswersElsewhere, answering: App) -> None:
    try:
        await answers.run_forever()
    finally:
        await answering.close()


async def _background(application: App) -> None:
    """The background loops in a child process (SUPPORTFIRST_BACKGROUND=process, the default:
    their CPU work then never holds the GIL an ack waits for), built there from the same
    settings; in a thread of this process when set so, or when this App was handed adapters
    (tests, benches) that another process could not build again."""
    if application.settings.background == "process" and application.from_settings_alone:
        await in_own_process(application)
    else:
        await in_own_thread(
            lambda: background_loops(application.on_another_loop()), "supportfirst-loops"
        )


async def background_loops(application: App) -> None:
    """The daily review, alert delivery, the sender and the ingester, until one dies."""
    try:
        async with contextlib.AsyncExitStack() as stack:
            server = await stack.enter_async_context(smtp_server(application))
            sender = Sender(application, server, application.settings.smtp_connections)
            stack.push_async_callback(sender.close)
            _say_where_mail_goes(application, server)
            idle = application.settings.sender_idle_seconds
            async with asyncio.TaskGroup() as loops:
                drop = drop_folder(application)
                loops.create_task(_supervised("daily review", _review_loop(application, drop)))
                if drop is not None:
                    every = application.settings.import_scan_seconds
                    loops.create_task(
                        _supervised("drop folder", watch_forever(application, drop, every))
                    )
                    print(f"importing what lands in {drop.folder}", flush=True)
                loops.create_task(_supervised("alerts", application.alerts.run_forever()))
                loops.create_task(_supervised("sender", sender.run_forever(idle)))
                loops.create_task(
                    _supervised("ingester", ingest_forever(application, application.inbox))
                )
    finally:
        await application.close()


async def _supervised(name: str, loop: Coroutine[Any, Any, None]) -> None:
    try:
        await loop
    except Exception as e:
        log.exception("the %s loop stopped", name)
        raise LoopDied(f"the {name} loop stopped: {type(e).__name__}: {e}") from e


async def _connect_socket_mode(
    application: App, slack: AsyncApp | None, stack: contextlib.AsyncExitStack
) -> None:
    if slack is not None and (socket := await socket_mode(application, slack)) is not None:
        stack.push_async_callback(socket.close_async)


def _say_where_mail_goes(application: App, server: SmtpServer) -> None:
    embedded = "" if application.settings.smtp_url else " (embedded, into local Maildirs)"
    print(
        f"sending through smtp://{server.host}:{server.port}{embedded}; "
        f"reading replies from {application.inbox.name}",
        flush=True,
    )
