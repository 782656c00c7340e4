"""In-memory fakes of the ports in `casework/ports.py`, for fast unit tests of the use cases.

They mirror `store/` closely enough that a use case cannot tell them apart: the same return
values (change lists, mark corrections, JSON-round-tripped case details), the same hash chain in
the audit log, and the same transaction rule: what a unit of work changes is discarded unless
`commit()` is called before the `async with` block ends.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any

from attendance.authorities import AuthorityRules
from attendance.calendar import SchoolCalendar, week_monday
from attendance.codes import is_school_session
from attendance.consent import ConsentRecord, address_key
from attendance.penalty import PenaltyRecord, PenaltyState
from attendance.postal import AddressVersion, current
from attendance.registers import Roll, SchoolRegister
from attendance.threshold import Mark, Session, ThresholdPolicy, conflicts, effective, evaluate
from casework import notice_changes as set_by
from casework.audit import GENESIS, canonical, entry_hash, sign_entry
from casework.events import Event
from casework.notice_changes import NoticeChange
from casework.ports import Signer, UnitOfWork
from casework.records import (
    DELIVERED,
    AuditRecord,
    CalendarRow,
    ChainTip,
    Change,
    Delivery,
    DeliveryState,
    Entry,
    Episode,
    HowDelivered,
    MarkChanges,
    MarkConflict,
    MarkRow,
    NoticeRecord,
    NoticeStatus,
    ParentRow,
    PendingEvent,
    PupilCount,
    PupilRegisters,
    PupilRow,
    SchoolContact,
    SchoolRow,
)
from tests.fakes_chat import FakeChat, FakeWebSessions
from tests.fakes_mail import FakeMail, FakeQuarantine

OPEN_STATUSES = (NoticeStatus.IN_PROGRESS, NoticeStatus.BREACHED)


def _upsert(
    table: dict[Any, dict[str, Any]], key: Any, subject: str, values: dict[str, Any]
) -> Change | None:
    """Insert or update one row, returning the Change as store/registry.py does (None if equal)."""
    row = table.get(key)
    if row is None:
        table[key] = dict(values)
        return Change(subject, {}, dict(values))
    old = {k: row.get(k) for k, v in values.items() if row.get(k) != v}
    if not old:
        return None
    new = {k: values[k] for k in old}
    row.update(new)
    return Change(subject, old, new)


@dataclass
class FakeRegistry:
    schools: dict[str, dict[str, Any]] = field(default_factory=dict)
    pupils: dict[str, dict[str, Any]] = field(default_factory=dict)
    parents: dict[str, dict[str, Any]] = field(default_factory=dict)  # the person
    links: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (parent, upn)
    calendar_rows: list[CalendarRow] = field(default_factory=list)
    rules: dict[str, AuthorityRules] = field(default_factory=dict)
    address_versions: dict[str, list[AddressVersion]] = field(default_factory=dict)
    contacts: dict[str, SchoolContact] = field(default_factory=dict)

    async def school_contact(self, urn: str) -> SchoolContact:
        return self.contacts.get(urn, SchoolContact(urn))

    async def save_school_contact(self, contact: SchoolContact, now: datetime) -> None:
        self.contacts[contact.urn] = contact

    async def school_urns(self, urns: Iterable[str]) -> set[str]:
        return {u for u in urns if u in self.schools}

    async def schools_with_pupils(self) -> set[str]:
        return {p["school_urn"] for p in self.pupils.values()}

    async def pupil_upns(self, upns: Iterable[str]) -> set[str]:
        return {u for u in upns if u in self.pupils}

    async def school(self, urn: str) -> SchoolRow | None:
        s = self.schools.get(urn)
        return SchoolRow(**s) if s else None

    async def pupil(self, upn: str) -> PupilRow | None:
        p = self.pupils.get(upn)
        return PupilRow(**p) if p else None

    async def parents_of(self, upn: str) -> list[ParentRow]:
        links = sorted((k[0], v) for k, v in self.links.items() if k[1] == upn)
        return [self._row(pid, upn, link["relationship"]) for pid, link in links]

    async def parent(self, parent_id: str) -> ParentRow | None:
        return self._row(parent_id, "", "") if parent_id in self.parents else None

    async def parent_emails(self, parent_ids: Iterable[str]) -> dict[str, str | None]:
        return {p: self.parents[p].get("email") for p in parent_ids if p in self.parents}

    def _row(self, parent_id: str, upn: str, relationship: str) -> ParentRow:
        p = self.parents[parent_id]
        latest = current(self.address_versions.get(parent_id, []))
        return ParentRow(
            parent_id,
            upn,
            p["name"],
            p["email"],
            relationship,
            latest.address if latest else None,
            p.get("phone"),
        )

    async def addresses(self, parent_id: str) -> list[AddressVersion]:
        return list(self.address_versions.get(parent_id, []))

    async def record_addresses(
        self, rows: Sequence[ParentRow], seen_on: date, source: str
    ) -> list[Change]:
        given = {r.parent_id: r.address for r in rows if r.address is not None}
        changes = []
        for parent_id, address in given.items():
            versions = self.address_versions.setdefault(parent_id, [])
            before = current(versions)
            if before is not None and before.address == address:
                continue
            versions.append(AddressVersion(parent_id, address, seen_on, source))
            old = asdict(before.address) if before else {}
            changes.append(Change(f"parent:{parent_id}:address", old, asdict(address)))
        return changes

    async def children_of(self, parent_id: str) -> list[str]:
        return sorted(upn for pid, upn in self.links if pid == parent_id)

    async def parents_with_email(self, email: str) -> list[str]:
        key = address_key(email)
        return sorted(
            pid for pid, p in self.parents.items() if p["email"] and address_key(p["email"]) == key
        )

    async def calendar(self, school_urn: str) -> SchoolCalendar:
        rows = [r for r in self.calendar_rows if r.school_urn == school_urn]
        return SchoolCalendar.of(
            [(r.start, r.end) for r in rows if r.kind == "term"],
            [(r.start, r.end) for r in rows if r.kind == "closure"],
        )

    async def calendars(self, school_urns: Iterable[str]) -> dict[str, SchoolCalendar]:
        return {urn: await self.calendar(urn) for urn in school_urns}

    async def calendars_on_record(self) -> dict[str, SchoolCalendar]:
        return await self.calendars({r.school_urn for r in self.calendar_rows})

    async def schools_by_urn(self, urns: Iterable[str]) -> dict[str, SchoolRow]:
        found = {urn: await self.school(urn) for urn in set(urns)}
        return {urn: school for urn, school in found.items() if school}

    async def schools_of(self, upns: Iterable[str]) -> dict[str, SchoolRow]:
        found = {}
        for upn in upns:
            pupil = self.pupils.get(upn)
            school = self.schools.get(pupil["school_urn"]) if pupil else None
            if school:
                found[upn] = SchoolRow(**school)
        return found

    async def upsert_schools(self, rows: Sequence[SchoolRow]) -> list[Change]:
        changes = [_upsert(self.schools, r.urn, f"school:{r.urn}", asdict(r)) for r in rows]
        return [c for c in changes if c]

    async def upsert_pupils(self, rows: Sequence[PupilRow]) -> list[Change]:
        changes = [_upsert(self.pupils, r.upn, f"pupil:{r.upn}", asdict(r)) for r in rows]
        return [c for c in changes if c]

    async def upsert_parents(self, rows: Sequence[ParentRow]) -> list[Change]:
        changes = [
            _upsert(
                self.parents,
                r.parent_id,
                f"parent:{r.parent_id}",
                {"parent_id": r.parent_id, "name": r.name, "email": r.email}
                | ({"phone": r.phone} if r.phone is not None else {}),
            )
            for r in rows
        ]
        changes += [
            _upsert(
                self.links,
                (r.parent_id, r.upn),
                f"parent:{r.parent_id}:pupil:{r.upn}",
                {"parent_id": r.parent_id, "upn": r.upn, "relationship": r.relationship},
            )
            for r in rows
        ]
        return [c for c in changes if c]

    async def add_calendar(self, rows: Sequence[CalendarRow]) -> list[Change]:
        changes = []
        for r in rows:
            if r not in self.calendar_rows:
                self.calendar_rows.append(r)
                changes.append(Change(f"calendar:{r.school_urn}", {}, asdict(r)))
        return changes

    async def authorities_in_use(self) -> set[str]:
        return {s["local_authority"] for s in self.schools.values()}

    async def recorded_rules(self) -> dict[str, AuthorityRules]:
        return dict(self.rules)

    async def save_rules(self, key: str, rules: AuthorityRules) -> None:
        self.rules[key] = rules


@dataclass
class FakeMarks:
    """Marks keyed by (upn, day, session) → (school_urn, code), and the corrections kept."""

    registry: FakeRegistry
    # (upn, day, session, school_urn): code. Registers are per school.
    marks: dict[tuple[str, date, str, str], str] = field(default_factory=dict)
    corrections: list[dict[str, Any]] = field(default_factory=list)
    n_alerts: dict[tuple[str, date, str], date] = field(default_factory=dict)

    async def upsert(self, rows: Sequence[MarkRow], now: datetime, source: str) -> MarkChanges:
        inserted, changes = 0, []
        for r in rows:
            key = (r.upn, r.day, r.session, r.school_urn)
            old = self.marks.get(key)
            if old is None:
                inserted += 1
            elif old != r.code:
                self.corrections.append(
                    {
                        "upn": r.upn,
                        "day": r.day,
                        "session": r.session,
                        "old_code": old,
                        "new_code": r.code,
                        "old_school_urn": r.school_urn,
                        "new_school_urn": r.school_urn,
                        "corrected_at": now,
                        "source": source,
                    }
                )
                changes.append(
                    Change(
                        f"mark:{r.upn}:{r.day}:{r.session}",
                        {"code": old, "school_urn": r.school_urn},
                        {"code": r.code, "school_urn": r.school_urn},
                    )
                )
            self.marks[key] = r.code
        touched = {(r.upn, r.day, r.session) for r in rows}
        found = [
            c
            for c in await self.conflicts(sorted({r.upn for r in rows}))
            if (c.upn, c.conflict.day, c.conflict.session) in touched
        ]
        return MarkChanges(inserted=inserted, corrections=changes, conflicts=found)

    def _raw(self, upn: str) -> list[Mark]:
        return [
            Mark(day, Session(session), code, school)
            for (u, day, session, school), code in self.marks.items()
            if u == upn
        ]

    async def for_pupil(self, upn: str) -> list[Mark]:
        return effective(self._raw(upn))

    async def for_pupils(
        self, upns: Iterable[str], start: date, end: date
    ) -> dict[str, list[Mark]]:
        found = {
            upn: [m for m in await self.for_pupil(upn) if start <= m.day <= end] for upn in upns
        }
        return {upn: marks for upn, marks in found.items() if marks}

    async def recorded(self, upn: str) -> list[Mark]:
        return sorted(self._raw(upn), key=lambda m: (m.day, m.session, m.school))

    async def conflicts(self, upns: Sequence[str]) -> list[MarkConflict]:
        return [
            MarkConflict(upn=upn, conflict=c)
            for upn in sorted(set(upns))
            for c in conflicts(self._raw(upn))
        ]

    async def threshold_counts(
        self, on: date, codes_by_authority: dict[str, frozenset[str]], weeks: int
    ) -> list[PupilCount]:
        results = []
        for upn in sorted({k[0] for k in self.marks}):
            pupil = self.registry.pupils.get(upn)
            school = self.registry.schools.get(pupil["school_urn"]) if pupil else None
            if school is None or school["local_authority"] not in codes_by_authority:
                continue
            policy = ThresholdPolicy(codes_by_authority[school["local_authority"]], weeks=weeks)
            marks = await self.for_pupil(upn)
            result = evaluate(marks, on, policy)
            if result.unauthorised_sessions > 0 and result.window_start is not None:
                window = {
                    week_monday(m.day)
                    for m in marks
                    if result.window_start <= m.day <= on and is_school_session(m.code)
                }
                results.append(
                    PupilCount(
                        upn=upn,
                        unauthorised_sessions=result.unauthorised_sessions,
                        window_start=result.window_start,
                        school_weeks=len(window),
                        last_week=max(window),
                        school_urn=pupil["school_urn"] if pupil else "",
                        date_of_birth=pupil["date_of_birth"] if pupil else None,
                    )
                )
        return results

    async def registers(self, spans: Mapping[str, date], on: date) -> list[PupilRegisters]:
        found = []
        for upn, start in sorted(spans.items()):
            raw = self._raw(upn)
            weeks = {
                week_monday(m.day)
                for m in raw
                if start <= m.day <= on and is_school_session(m.code)
            }
            schools = []
            for school in sorted({m.school for m in raw}):
                own = [m for m in raw if m.school == school]
                marked = frozenset(week_monday(m.day) for m in own if start <= m.day <= on)
                before = any(m.day < start for m in own)
                after = any(m.day > on for m in own)
                schools.append(SchoolRegister(school, marked, before, after))
            found.append(PupilRegisters(upn, frozenset(weeks), tuple(schools)))
        return found

    async def any_after(self, on: date) -> bool:
        return any(day > on for (_, day, _, _) in self.marks)

    async def rolls_elsewhere(self, since: date) -> dict[str, list[Roll]]:
        days: dict[tuple[str, str], list[date]] = {}
        for upn, day, _, school in self.marks:
            pupil = self.registry.pupils.get(upn)
            if pupil and school != pupil["school_urn"]:
                days.setdefault((upn, school), []).append(day)
        found: dict[str, list[Roll]] = {}
        for (upn, school), marked in sorted(days.items()):
            if max(marked) >= since:
                found.setdefault(upn, []).append(Roll(school, min(marked), max(marked)))
        return found

    async def last_marked(self, upns: Sequence[str], on: date) -> dict[str, date]:
        found: dict[str, date] = {}
        for upn, day, _, _ in self.marks:
            if upn in upns and day <= on:
                found[upn] = max(found.get(upn, day), week_monday(day))
        return found

    async def count_codes(self, upn: str, start: date, end: date, codes: frozenset[str]) -> int:
        return len(
            {
                (day, session)
                for (u, day, session, _), code in self.marks.items()
                if u == upn and start <= day <= end and code in codes
            }
        )

    async def with_codes(
        self, upns: Iterable[str], start: date, end: date, codes: frozenset[str]
    ) -> dict[str, list[MarkRow]]:
        wanted, found = set(upns), dict[str, list[MarkRow]]()
        for (upn, day, session, urn), code in sorted(self.marks.items()):
            if upn in wanted and start <= day <= end and code in codes:
                found.setdefault(upn, []).append(MarkRow(upn, urn, day, session, code))
        return found

    async def sessions_with_codes(
        self, upns: Iterable[str], start: date, end: date, codes: frozenset[str]
    ) -> dict[str, set[tuple[date, str]]]:
        rows = await self.with_codes(upns, start, end, codes)
        return {upn: {(m.day, m.session) for m in marks} for upn, marks in rows.items()}

    async def unalerted_n(self, since: date, on: date) -> list[MarkRow]:
        first: dict[tuple[str, date, str], MarkRow] = {}
        for (upn, day, session, urn), code in sorted(self.marks.items()):
            if code == "N" and since <= day <= on and (upn, day, session) not in self.n_alerts:
                first.setdefault((upn, day, session), MarkRow(upn, urn, day, session, code))
        return list(first.values())

    async def n_alerted(self, marks: Sequence[MarkRow], on: date) -> None:
        for m in marks:
            self.n_alerts[(m.upn, m.day, m.session)] = on


@dataclass
class FakeCases:
    case_entries: list[Entry] = field(default_factory=list)
    episodes: list[Episode] = field(default_factory=list)
    notice_rows: dict[int, NoticeRecord] = field(default_factory=dict)
    notice_deliveries: dict[int, list[Delivery]] = field(default_factory=dict)
    penalty_notices: list[PenaltyRecord] = field(default_factory=list)
    review_runs: dict[date, tuple[datetime, int]] = field(default_factory=dict)

    async def add_entries(self, entries: Sequence[Entry]) -> None:
        for e in entries:
            await self.add_entry(e.upn, e.on, e.kind, e.by, e.summary, e.details, e.recorded_at)

    async def add_entry(
        self,
        upn: str,
        on: date,
        kind: str,
        by: str,
        summary: str,
        details: dict[str, Any],
        now: datetime,
    ) -> int:
        entry_id = len(self.case_entries) + 1
        # Stored as JSON by the real one: dates come back as strings.
        stored = json.loads(json.dumps(details, sort_keys=True, default=str))
        self.case_entries.append(
            Entry(
                id=entry_id,
                upn=upn,
                on=on,
                recorded_at=now,
                kind=kind,
                by=by,
                summary=summary,
                details=stored,
            )
        )
        return entry_id

    async def entries(self, upn: str) -> list[Entry]:
        return sorted((e for e in self.case_entries if e.upn == upn), key=lambda e: (e.on, e.id))

    async def entries_of_kinds(
        self, upns: Iterable[str], kinds: Iterable[str]
    ) -> dict[str, list[Entry]]:
        wanted, of_kind, found = set(upns), set(kinds), dict[str, list[Entry]]()
        for e in sorted(self.case_entries, key=lambda e: (e.on, e.id)):
            if e.upn in wanted and e.kind in of_kind:
                found.setdefault(e.upn, []).append(e)
        return found

    async def reviewed(self, on: date) -> bool:
        return on in self.review_runs

    async def record_review(self, on: date, now: datetime, events: int) -> None:
        self.review_runs[on] = (now, events)

    async def open_episodes(self) -> dict[str, Episode]:
        return {e.upn: e for e in self.episodes if e.ended_on is None}

    async def open_episode(self, episode: Episode) -> None:
        self.episodes.append(episode)

    async def close_episode(self, upn: str, on: date) -> None:
        self.episodes = [
            replace(e, ended_on=on) if e.upn == upn and e.ended_on is None else e
            for e in self.episodes
        ]

    async def close_episodes(self, upns: Iterable[str], on: date) -> None:
        for upn in set(upns):
            await self.close_episode(upn, on)

    async def add_notice(self, notice: NoticeRecord, deliveries: Sequence[Delivery]) -> int:
        notice_id = len(self.notice_rows) + 1
        self.notice_rows[notice_id] = replace(notice, id=notice_id)
        self.notice_deliveries[notice_id] = list(deliveries)
        return notice_id

    async def notices(
        self,
        upn: str | None = None,
        open_only: bool = False,
        statuses: Iterable[NoticeStatus] | None = None,
    ) -> list[NoticeRecord]:
        chosen = None if statuses is None else set(statuses)
        return [
            n
            for _, n in sorted(self.notice_rows.items())
            if (upn is None or n.upn == upn)
            and (not open_only or n.status in OPEN_STATUSES)
            and (chosen is None or n.status in chosen)
        ]

    async def add_deliveries(self, notice_id: int, deliveries: Sequence[Delivery]) -> None:
        self.notice_deliveries.setdefault(notice_id, []).extend(deliveries)

    def _deliveries(self, chosen: Callable[[int, Delivery], bool], **values: Any) -> None:
        for notice_id, rows in self.notice_deliveries.items():
            self.notice_deliveries[notice_id] = [
                replace(d, **values) if chosen(notice_id, d) else d for d in rows
            ]

    async def delivery_sent(self, message_id: str, deemed_received_on: date) -> None:
        self._deliveries(
            lambda _, d: d.message_id == message_id,
            state=DeliveryState.SENT,
            deemed_received_on=deemed_received_on,
        )

    async def delivery_failed(self, message_id: str) -> None:
        self._deliveries(lambda _, d: d.message_id == message_id, state=DeliveryState.FAILED)

    async def delivery_confirmed(
        self, notice_id: int, parent_id: str, how: HowDelivered, deemed_received_on: date
    ) -> None:
        self._deliveries(
            lambda n, d: n == notice_id and d.parent_id == parent_id,
            state=DELIVERED[how],
            deemed_received_on=deemed_received_on,
        )

    async def deliveries(self, notice_id: int) -> list[Delivery]:
        return sorted(self.notice_deliveries.get(notice_id, []), key=lambda d: d.parent_id)

    async def deliveries_of(self, notice_ids: Iterable[int]) -> dict[int, list[Delivery]]:
        return {n: await self.deliveries(n) for n in notice_ids if self.notice_deliveries.get(n)}

    async def notice(self, notice_id: int) -> NoticeRecord | None:
        return self.notice_rows.get(notice_id)

    async def notices_by_id(self, notice_ids: Iterable[int]) -> list[NoticeRecord]:
        return [self.notice_rows[i] for i in sorted(set(notice_ids)) if i in self.notice_rows]

    def _change(self, notice_id: int, **values: Any) -> None:
        self.notice_rows[notice_id] = replace(self.notice_rows[notice_id], **values)

    async def notice_served(self, notice_id: int, start: date | None, end: date | None) -> None:
        self._change(notice_id, **set_by.served(start, end))

    async def notice_breached(self, notice_id: int, on: date) -> None:
        self._change(notice_id, **set_by.breached(on))

    async def change_notices(self, changes: Sequence[NoticeChange]) -> None:
        for change in changes:
            self._change(change.notice_id, **change.fields)

    async def notice_ended(
        self, notice_id: int, outcome: NoticeStatus, on: date, further: int = 0
    ) -> None:
        self._change(notice_id, **set_by.ended(outcome, on, further))

    async def notice_decided(
        self, notice_id: int, status: NoticeStatus, by: str, reason: str, on: date
    ) -> None:
        self._change(notice_id, status=status, decided_by=by, decided_on=on, decision_reason=reason)

    async def notice_reopened(self, notice_id: int, status: NoticeStatus) -> None:
        self._change(notice_id, **set_by.reopened(status))

    async def parents_with_failed_nti(self, parent_ids: Iterable[str]) -> set[str]:
        wanted = set(parent_ids)
        return {
            d.parent_id
            for notice_id, n in self.notice_rows.items()
            if n.status == NoticeStatus.NOT_IMPROVED
            for d in self.notice_deliveries.get(notice_id, [])
            if d.parent_id in wanted
        }

    async def penalties(self, parent_id: str, upn: str) -> list[PenaltyRecord]:
        return [p for p in self.penalty_notices if p.parent_id == parent_id and p.upn == upn]

    async def penalties_for(self, upn: str) -> list[PenaltyRecord]:
        return [p for p in self.penalty_notices if p.upn == upn]

    async def add_penalty(self, record: PenaltyRecord) -> int:
        stored = replace(record, id=len(self.penalty_notices) + 1)
        self.penalty_notices.append(stored)
        return stored.id

    async def penalty_state_changed(self, penalty_id: int, state: PenaltyState) -> None:
        i = penalty_id - 1
        if not 0 <= i < len(self.penalty_notices):
            raise KeyError(penalty_id)
        old = self.penalty_notices[i]
        self.penalty_notices[i] = replace(
            old, state=state, withdrawn=state is PenaltyState.WITHDRAWN
        )


@dataclass
class FakeOutbox:
    events: list[Event] = field(default_factory=list)
    added: list[tuple[str, datetime]] = field(default_factory=list)
    done: set[str] = field(default_factory=set)

    async def add(self, event: Event, now: datetime) -> str:
        self.events.append(event)
        self.added.append((str(uuid.uuid4()), now))
        return self.added[-1][0]

    async def add_many(self, events: Sequence[Event], now: datetime) -> list[str]:
        return [await self.add(e, now) for e in events]

    async def undelivered(self, limit: int = 100) -> list[PendingEvent]:
        pending = [
            PendingEvent(id=i, kind=e.kind, upn=e.upn, on=e.on, payload=e.payload(), created_at=at)
            for (i, at), e in zip(self.added, self.events, strict=True)
            if i not in self.done
        ]
        return pending[:limit]

    async def delivered(self, event_id: str, now: datetime) -> None:
        self.done.add(event_id)

    async def event(self, event_id: str) -> PendingEvent | None:
        every = await self.recent(datetime.min.replace(tzinfo=UTC), len(self.events))
        return next((e for e in every if e.id == event_id), None)

    async def recent(self, since: datetime, limit: int = 50) -> list[PendingEvent]:
        events = [
            PendingEvent(id=i, kind=e.kind, upn=e.upn, on=e.on, payload=e.payload(), created_at=at)
            for (i, at), e in zip(self.added, self.events, strict=True)
            if at >= since
        ]
        return events[::-1][:limit]


@dataclass
class FakeAudit:
    entries: list[AuditRecord] = field(default_factory=list)
    signer: Signer | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> FakeAudit:
        """The key is shared, not copied, by each unit of work's copy of the state."""
        return FakeAudit(copy.deepcopy(self.entries, memo), self.signer)

    async def append(
        self, actor: str, action: str, subject: str, details: dict[str, Any], now: datetime
    ) -> AuditRecord:
        last = self.entries[-1] if self.entries else None
        seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
        body = canonical(details)
        at = now.astimezone(UTC)
        digest = entry_hash(seq, at, actor, action, subject, body, prev)
        record = AuditRecord(
            seq, at, actor, action, subject, body, prev, digest, sign_entry(self.signer, digest)
        )
        self.entries.append(record)
        return record

    async def append_many(
        self, actor: str, items: Sequence[tuple[str, str, dict[str, Any]]], now: datetime
    ) -> list[AuditRecord]:
        return [await self.append(actor, a, s, d, now) for a, s, d in items]

    async def head(self) -> str | None:
        return self.entries[-1].hash if self.entries else None

    async def all(self) -> list[AuditRecord]:
        return list(self.entries)

    async def tip(self) -> ChainTip:
        if not self.entries:
            return ChainTip(0, GENESIS, None)
        signed = next((e.seq for e in self.entries if e.signature), None)
        return ChainTip(self.entries[-1].seq, self.entries[-1].hash, signed)


@dataclass
class FakeImportLog:
    runs: list[dict[str, Any]] = field(default_factory=list)

    async def record(
        self, kind: str, file_name: str, sha256: str, rows: int, changed: int, now: datetime
    ) -> None:
        self.runs.append(
            {
                "kind": kind,
                "file_name": file_name,
                "sha256": sha256,
                "rows": rows,
                "changed": changed,
                "imported_at": now,
            }
        )


@dataclass
class FakeConsents:
    registry: FakeRegistry  # for a pupil's parents, as the store joins them
    records: list[ConsentRecord] = field(default_factory=list)

    async def add(
        self, record: ConsentRecord, evidence_name: str | None, by: str, now: datetime
    ) -> int:
        stored = replace(record, id=len(self.records) + 1)
        self.records.append(stored)
        return stored.id

    async def for_parent(self, parent_id: str) -> list[ConsentRecord]:
        return [r for r in self.records if r.parent_id == parent_id]

    async def for_parents(self, parent_ids: Iterable[str]) -> dict[str, list[ConsentRecord]]:
        wanted = set(parent_ids)
        found: dict[str, list[ConsentRecord]] = {}
        for r in self.records:
            if r.parent_id in wanted:
                found.setdefault(r.parent_id, []).append(r)
        return found

    async def with_address(self, email: str) -> list[ConsentRecord]:
        return [r for r in self.records if address_key(r.email) == address_key(email)]

    async def withdraw(self, consent_id: int, on: date) -> None:
        i = consent_id - 1
        self.records[i] = replace(self.records[i], withdrawn_on=on)

    async def listing(self, upn: str | None = None) -> list[ConsentRecord]:
        parents = {pid for pid, u in self.registry.links if upn is None or u == upn}
        chosen = [r for r in self.records if upn is None or r.parent_id in parents]
        return sorted(chosen, key=lambda r: (r.parent_id, r.id))


@dataclass
class FakeEvidence:
    blobs: dict[str, bytes] = field(default_factory=dict)

    def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        self.blobs[sha] = data
        return sha

    def put_many(self, blobs: Sequence[bytes]) -> list[str]:
        return [self.put(data) for data in blobs]

    def make_durable(self, sha256s: Sequence[str]) -> None:
        missing = [s for s in sha256s if s not in self.blobs]
        assert not missing, f"made durable before they were written: {missing}"

    def get(self, sha256: str) -> bytes:
        return self.blobs[sha256]

    def verify(self, sha256: str) -> bool:
        return hashlib.sha256(self.blobs[sha256]).hexdigest() == sha256


@dataclass
class FakeState:
    """Everything the fake database holds; compared with == to prove nothing changed."""

    registry: FakeRegistry = field(default_factory=FakeRegistry)
    marks: FakeMarks = field(init=False)
    cases: FakeCases = field(default_factory=FakeCases)
    consents: FakeConsents = field(init=False)
    outbox: FakeOutbox = field(default_factory=FakeOutbox)
    audit: FakeAudit = field(default_factory=FakeAudit)
    imports: FakeImportLog = field(default_factory=FakeImportLog)
    mail: FakeMail = field(init=False)
    chat: FakeChat = field(default_factory=FakeChat)
    sessions: FakeWebSessions = field(default_factory=FakeWebSessions)
    quarantine: FakeQuarantine = field(init=False)

    def __post_init__(self) -> None:
        self.marks = FakeMarks(self.registry)
        self.consents = FakeConsents(self.registry)
        self.mail = FakeMail(self.consents.records, pupils=self.registry.pupils)
        self.quarantine = FakeQuarantine(self.mail.received)


class FakeUnitOfWork:
    """An in-memory unit of work: rolled back unless committed, like store/uow.py.

    `committed` says whether the latest `async with` block committed. Outside a block the
    repositories show the committed state (reading them there is for assertions).
    """

    def __init__(self, signer: Signer | None = None) -> None:
        self._saved = FakeState()
        self._saved.audit.signer = signer
        self._live = copy.deepcopy(self._saved)
        self.committed = False
        self.snapshots = 0  # how many units of work asked for one consistent snapshot
        self.locks: list[str] = []  # the locks units of work asked for, in order

    @property
    def registry(self) -> FakeRegistry:
        return self._live.registry

    @property
    def marks(self) -> FakeMarks:
        return self._live.marks

    @property
    def cases(self) -> FakeCases:
        return self._live.cases

    @property
    def consents(self) -> FakeConsents:
        return self._live.consents

    @property
    def outbox(self) -> FakeOutbox:
        return self._live.outbox

    @property
    def mail(self) -> FakeMail:
        return self._live.mail

    @property
    def chat(self) -> FakeChat:
        return self._live.chat

    @property
    def audit(self) -> FakeAudit:
        return self._live.audit

    @property
    def imports(self) -> FakeImportLog:
        return self._live.imports

    @property
    def sessions(self) -> FakeWebSessions:
        return self._live.sessions

    @property
    def quarantine(self) -> FakeQuarantine:
        return self._live.quarantine

    def state(self) -> FakeState:
        """A copy of the committed state."""
        return copy.deepcopy(self._saved)

    async def __aenter__(self) -> FakeUnitOfWork:
        self._live = copy.deepcopy(self._saved)
        self.committed = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.rollback()

    async def exclusive(self, name: str) -> None:
        self.locks.append(name)  # one process, one copy of the state: nothing to wait for

    async def snapshot(self) -> None:
        self.snapshots += 1  # the live copy taken at `async with` already is one

    async def commit(self) -> None:
        self._saved = copy.deepcopy(self._live)
        self.committed = True

    async def rollback(self) -> None:
        self._live = copy.deepcopy(self._saved)


def _is_a_unit_of_work(uow: FakeUnitOfWork) -> UnitOfWork:
    return uow  # mypy checks that the fake satisfies the protocol
