"""In-memory fake of the Chat repository (staff, alert routes, alert posts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from casework.records import AlertPostRecord, AlertState, StaffRecord
from casework.session_records import SignInLink, WebSession


def _head() -> dict[str, StaffRecord]:
    # The fake school's head of attendance (tests/cases.py HEAD), so acts have a real author.
    head = StaffRecord(
        "HEAD",
        "Ms Patel",
        "attendance_officer",
        email="s.patel@riverside.example",
        phone="01632 960000",
        all_schools=True,
    )
    return {head.id: head}


@dataclass
class FakeChat:
    members: dict[str, StaffRecord] = field(default_factory=_head)
    route_list: list[tuple[str, str, str]] = field(default_factory=list)
    workspaces: set[tuple[str, str]] = field(default_factory=set)
    seen: dict[str, datetime] = field(default_factory=dict)
    post_log: list[AlertPostRecord] = field(default_factory=list)

    async def staff(self, staff_id: str) -> StaffRecord | None:
        return self.members.get(staff_id)

    async def staff_for_slack(self, slack_user_id: str) -> StaffRecord | None:
        return next((m for m in self.members.values() if m.slack_user_id == slack_user_id), None)

    async def save_staff(self, member: StaffRecord, now: datetime) -> None:
        self.members[member.id] = member

    async def all_staff(self) -> list[StaffRecord]:
        return sorted(self.members.values(), key=lambda m: (m.name, m.id))

    async def routes(self) -> list[tuple[str, str]]:
        return [(k, d) for k, d, urn in self.route_list if not urn]

    async def school_routes(self) -> list[tuple[str, str, str]]:
        return list(self.route_list)

    async def add_route(self, kind: str, destination: str, now: datetime) -> None:
        await self.add_school_route(kind, destination, "", now)

    async def remove_route(self, kind: str, destination: str) -> bool:
        return await self.remove_school_route(kind, destination, "")

    async def add_school_route(self, kind: str, destination: str, urn: str, now: datetime) -> None:
        if (kind, destination, urn) not in self.route_list:
            self.route_list.append((kind, destination, urn))

    async def remove_school_route(self, kind: str, destination: str, urn: str) -> bool:
        found = (kind, destination, urn) in self.route_list
        self.route_list = [r for r in self.route_list if r != (kind, destination, urn)]
        return found

    async def remember_request(self, key: str, now: datetime) -> bool:
        new = key not in self.seen
        self.seen.setdefault(key, now)
        return new

    async def forget_requests(self, before: datetime) -> None:
        self.seen = {k: at for k, at in self.seen.items() if at >= before}

    async def forget_keys(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.seen.pop(key, None)

    async def workspace_schools(self, team_id: str) -> set[str]:
        return {urn for t, urn in self.workspaces if t == team_id}

    async def add_workspace_school(self, team_id: str, urn: str, now: datetime) -> None:
        self.workspaces.add((team_id, urn))

    async def posts(self, event_id: str) -> dict[str, AlertPostRecord]:
        return {p.destination: p for p in self.post_log if p.event_id == event_id}

    async def begin_post(self, post: AlertPostRecord) -> None:
        if post.destination not in await self.posts(post.event_id):
            self.post_log.append(replace(post, state=AlertState.POSTING))

    async def finish_post(
        self, event_id: str, destination: str, channel: str | None, ts: str | None, now: datetime
    ) -> None:
        self.post_log = [
            replace(p, state=AlertState.POSTED, channel=channel, ts=ts)
            if (p.event_id, p.destination) == (event_id, destination)
            else p
            for p in self.post_log
        ]

    async def thread(self, thread_key: str, destination: str) -> AlertPostRecord | None:
        return next(
            (
                p
                for p in self.post_log
                if (p.thread_key, p.destination, p.state)
                == (thread_key, destination, AlertState.POSTED)
            ),
            None,
        )


@dataclass
class FakeWebSessions:
    links: dict[str, SignInLink] = field(default_factory=dict)
    used: dict[str, datetime] = field(default_factory=dict)
    open_sessions: dict[str, WebSession] = field(default_factory=dict)

    async def add_link(self, link: SignInLink) -> None:
        self.links[link.token_sha256] = link

    async def take_link(self, token_sha256: str, now: datetime) -> SignInLink | None:
        link = self.links.get(token_sha256)
        if link is None or token_sha256 in self.used or link.expires_at <= now:
            return None
        self.used[token_sha256] = now
        return link

    async def open(self, session: WebSession) -> None:
        self.open_sessions[session.token_sha256] = session

    async def find(self, token_sha256: str) -> WebSession | None:
        return self.open_sessions.get(token_sha256)

    async def touch(self, token_sha256: str, now: datetime) -> None:
        if token_sha256 in self.open_sessions:
            s = self.open_sessions[token_sha256]
            self.open_sessions[token_sha256] = replace(s, last_seen_at=now)

    async def close(self, token_sha256: str) -> None:
        self.open_sessions.pop(token_sha256, None)
