"""Delivering alerts: each undelivered event, to each destination its kind is routed to, once.

Routes are rules in the store (`alerts route KIND DESTINATION`; `*` for every kind); with none
that match, an event goes to the default destinations (the console, and the Slack channel and
Teams webhook when configured). Destinations: `console`, `teams`, `slack:CHANNEL_ID`,
`slack-dm:USER_ID`.

At least once, shown once: before posting, a `posting` record is committed; after, `posted`
with the message's channel and ts. If the process dies between the two, the next run asks the
destination whether the alert is already there (Slack: the message metadata carries the event
id) before posting again. An event is marked delivered when every destination has it; a
destination that fails (a 429 storm, an outage) leaves it for the next run: delayed, not lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.alerts.render import alert_view, thread_key
from bot.views import AlertView
from casework.ports import UnitOfWork
from casework.records import AlertPostRecord, AlertState, PendingEvent

log = logging.getLogger("supportfirst.alerts")


class AlertChannel(Protocol):
    async def post(
        self, destination: str, view: AlertView, thread: AlertPostRecord | None
    ) -> tuple[str | None, str | None]:
        """Show the alert; returns (channel, ts) where the surface has them."""
        ...

    async def find(
        self, destination: str, event_id: str, since: datetime
    ) -> tuple[str | None, str | None] | None:
        """The alert for `event_id` if it is already shown there (None if not, or unknowable)."""
        ...


def destinations(
    kind: str,
    routes: Sequence[tuple[str, str] | tuple[str, str, str]],
    default: Sequence[str],
    school_urn: str | None = None,
) -> list[str]:
    """Where an alert of `kind` about a pupil at `school_urn` goes: the routes for every school
    and those for that school; with none, the defaults."""
    chosen = [
        r[1]
        for r in routes
        if r[0] in (kind, "*") and (len(r) == 2 or not r[2] or r[2] == school_urn)
    ]
    return list(dict.fromkeys(chosen)) if chosen else list(default)


def channel_name(destination: str) -> str:
    return destination.split(":", 1)[0].replace("slack-dm", "slack")


@dataclass
class Delivered:
    events: int = 0
    posts: int = 0
    failures: int = 0


async def deliver_alerts(
    new_uow: Callable[[], UnitOfWork],
    channels: Mapping[str, AlertChannel],
    default: Sequence[str],
    case_url: Callable[[PendingEvent], str | None],
    clock: Callable[[], datetime],
    limit: int = 100,
) -> Delivered:
    done = Delivered()
    async with new_uow() as uow:
        pending = await uow.outbox.undelivered(limit)
        routes = await uow.chat.school_routes()
        schools = {e.upn: await _school_of(uow, e.upn) for e in pending if e.upn}
        dms = {r[1]: await uow.chat.staff_for_slack(r[1][9:]) for r in routes}
    for event in pending:
        complete = True
        school = schools.get(event.upn) if event.upn else None
        for destination in destinations(event.kind, routes, default, school):
            member = dms.get(destination) if destination.startswith("slack-dm:") else None
            if member is not None and school is not None and not member.covers(school):
                continue  # a direct message only about pupils of that member's schools
            channel = channels.get(channel_name(destination))
            if channel is None:
                log.warning("no %s channel configured for %s", destination, event.kind)
                complete = False
                continue
            try:
                if await _show(new_uow, channel, destination, event, case_url, clock):
                    done.posts += 1
            except Exception:
                log.exception("could not show %s %s at %s", event.kind, event.id, destination)
                done.failures += 1
                complete = False
        if complete:
            async with new_uow() as uow:
                await uow.outbox.delivered(event.id, clock())
                await uow.commit()
            done.events += 1
    return done


async def _school_of(uow: UnitOfWork, upn: str) -> str | None:
    pupil = await uow.registry.pupil(upn)
    return pupil.school_urn if pupil else None


async def _show(
    new_uow: Callable[[], UnitOfWork],
    channel: AlertChannel,
    destination: str,
    event: PendingEvent,
    case_url: Callable[[PendingEvent], str | None],
    clock: Callable[[], datetime],
) -> bool:
    """Show one event at one destination unless it is there already; True if posted now."""
    async with new_uow() as uow:
        post = (await uow.chat.posts(event.id)).get(destination)
        pupil = await uow.registry.pupil(event.upn) if event.upn else None
        key = thread_key(event)
        thread = await uow.chat.thread(key, destination) if key else None
    if post is not None and post.state == "posted":
        return False
    if post is not None:  # began before a crash: is it there already?
        found = await channel.find(destination, event.id, post.started_at)
        if found is not None:
            await _finish(new_uow, event.id, destination, found, clock)
            return False
    else:
        async with new_uow() as uow:
            await uow.chat.begin_post(
                AlertPostRecord(
                    event_id=event.id,
                    destination=destination,
                    state=AlertState.POSTING,
                    started_at=clock(),
                    thread_key=key,
                )
            )
            await uow.commit()
    view = alert_view(event, pupil, case_url(event))
    shown = await channel.post(destination, view, thread)
    await _finish(new_uow, event.id, destination, shown, clock)
    return True


async def _finish(
    new_uow: Callable[[], UnitOfWork],
    event_id: str,
    destination: str,
    shown: tuple[str | None, str | None],
    clock: Callable[[], datetime],
) -> None:
    async with new_uow() as uow:
        await uow.chat.finish_post(event_id, destination, shown[0], shown[1], clock())
        await uow.commit()
