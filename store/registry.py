"""Schools, pupils, parents, calendars and each local authority's recorded rules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import select as sa_select
from sqlalchemy import text
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from attendance.authorities import AuthorityRules
from attendance.calendar import SchoolCalendar
from attendance.consent import address_key
from attendance.postal import AddressVersion, PostalAddress
from casework.records import CalendarRow, Change, ParentRow, PupilRow, SchoolContact, SchoolRow
from store.address_tables import ParentAddress
from store.chat_tables import SchoolContact as SchoolContactRow
from store.tables import AuthorityRule, CalendarEntry, Parent, Pupil, PupilParent, School

K = TypeVar("K", str, int)
_CHUNK = 5000  # keeps IN (...) lists well under SQLite's bound-parameter limit


def chunks(items: Iterable[K]) -> Iterable[list[K]]:
    """`items` once each, sorted, in lists short enough for one `IN (...)`."""
    listed = sorted(set(items))
    for i in range(0, len(listed), _CHUNK):
        yield listed[i : i + _CHUNK]


def _diff(row: SQLModel, new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    old = {k: getattr(row, k) for k, v in new.items() if getattr(row, k) != v}
    return old, {k: new[k] for k in old}


def _postal(r: ParentAddress) -> PostalAddress:
    return PostalAddress(r.line_1, r.line_2, r.town, r.postcode)


class SqlRegistry:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _existing(self, table: str, key: str, values: Iterable[str]) -> set[str] | None:
        """On PostgreSQL, one query with an array parameter however many keys there are."""
        conn = await self.session.connection()
        if conn.dialect.name != "postgresql":
            return None
        values = set(values)
        if len(values) > 20_000:
            # A county's day names every pupil: reading the keys beats binding a huge array.
            rows = await conn.execute(text(f"SELECT {key} FROM {table}"))
            return {r[0] for r in rows} & values
        rows = await conn.execute(
            text(f"SELECT {key} FROM {table} WHERE {key} = ANY(:values)"), {"values": list(values)}
        )
        return {r[0] for r in rows}

    async def schools_with_pupils(self) -> set[str]:
        return set(await self.session.exec(select(Pupil.school_urn).distinct()))

    async def school_urns(self, urns: Iterable[str]) -> set[str]:
        urns = set(urns)
        existing = await self._existing("school", "urn", urns)
        if existing is not None:
            return existing
        found: set[str] = set()
        for chunk in chunks(urns):
            found.update(
                await self.session.exec(select(School.urn).where(col(School.urn).in_(chunk)))
            )
        return found

    async def pupil_upns(self, upns: Iterable[str]) -> set[str]:
        upns = set(upns)
        existing = await self._existing("pupil", "upn", upns)
        if existing is not None:
            return existing
        found: set[str] = set()
        for chunk in chunks(upns):
            found.update(
                await self.session.exec(select(Pupil.upn).where(col(Pupil.upn).in_(chunk)))
            )
        return found

    async def school(self, urn: str) -> SchoolRow | None:
        s = await self.session.get(School, urn)
        return SchoolRow(s.urn, s.name, s.local_authority) if s else None

    async def school_contact(self, urn: str) -> SchoolContact:
        row = await self.session.get(SchoolContactRow, urn)
        if row is None:
            return SchoolContact(urn)
        return SchoolContact(urn, row.address, row.phone, row.email, row.champion)

    async def save_school_contact(self, contact: SchoolContact, now: datetime) -> None:
        row = await self.session.get(SchoolContactRow, contact.urn) or SchoolContactRow(
            urn=contact.urn, updated_at=now
        )
        row.address, row.phone, row.email = contact.address, contact.phone, contact.email
        row.champion, row.updated_at = contact.champion, now
        self.session.add(row)
        await self.session.flush()

    async def pupil(self, upn: str) -> PupilRow | None:
        p = await self.session.get(Pupil, upn)
        if p is None:
            return None
        return PupilRow(
            p.upn, p.first_name, p.last_name, p.date_of_birth, p.school_urn, p.year_group
        )

    async def parents_of(self, upn: str) -> list[ParentRow]:
        rows = list(
            await self.session.exec(
                select(Parent, PupilParent)
                .join(PupilParent, col(PupilParent.parent_id) == col(Parent.parent_id))
                .where(PupilParent.upn == upn)
                .order_by(col(Parent.parent_id))
            )
        )
        latest = await self._latest_addresses([p.parent_id for p, _ in rows])
        return [
            ParentRow(
                p.parent_id,
                upn,
                p.name,
                p.email,
                link.relationship,
                latest.get(p.parent_id),
                p.phone,
            )
            for p, link in rows
        ]

    async def parent(self, parent_id: str) -> ParentRow | None:
        p = await self.session.get(Parent, parent_id)
        if p is None:
            return None
        latest = await self._latest_addresses([parent_id])
        return ParentRow(p.parent_id, "", p.name, p.email, "", latest.get(parent_id), p.phone)

    async def parent_emails(self, parent_ids: Iterable[str]) -> dict[str, str | None]:
        found: dict[str, str | None] = {}
        for chunk in chunks(parent_ids):
            rows = await self.session.exec(
                select(Parent.parent_id, Parent.email).where(col(Parent.parent_id).in_(chunk))
            )
            found.update({pid: email for pid, email in rows})
        return found

    async def _latest_addresses(self, parent_ids: list[str]) -> dict[str, PostalAddress]:
        rows = await self.session.exec(
            select(ParentAddress)
            .where(col(ParentAddress.parent_id).in_(parent_ids))
            .order_by(col(ParentAddress.id))
        )
        return {r.parent_id: _postal(r) for r in rows}  # the last version of each wins

    async def addresses(self, parent_id: str) -> list[AddressVersion]:
        rows = await self.session.exec(
            select(ParentAddress)
            .where(ParentAddress.parent_id == parent_id)
            .order_by(col(ParentAddress.id))
        )
        return [AddressVersion(r.parent_id, _postal(r), r.first_seen_on, r.source) for r in rows]

    async def record_addresses(
        self, rows: Sequence[ParentRow], seen_on: date, source: str
    ) -> list[Change]:
        given = {r.parent_id: r.address for r in rows if r.address is not None}
        latest = await self._latest_addresses(list(given))
        changes = []
        for parent_id, address in given.items():
            before = latest.get(parent_id)
            if before == address:
                continue
            self.session.add(
                ParentAddress(
                    parent_id=parent_id,
                    first_seen_on=seen_on,
                    source=source,
                    **vars(address),
                )
            )
            old = vars(before).copy() if before else {}
            changes.append(Change(f"parent:{parent_id}:address", old, vars(address).copy()))
        await self.session.flush()
        return changes

    async def children_of(self, parent_id: str) -> list[str]:
        rows = await self.session.exec(
            select(PupilParent.upn)
            .where(PupilParent.parent_id == parent_id)
            .order_by(col(PupilParent.upn))
        )
        return list(rows)

    async def parents_with_email(self, email: str) -> list[str]:
        rows = await self.session.exec(
            select(Parent.parent_id)
            .where(Parent.email_key == address_key(email))
            .order_by(col(Parent.parent_id))
        )
        return list(rows)

    async def calendar(self, school_urn: str) -> SchoolCalendar:
        rows = list(
            await self.session.exec(
                select(CalendarEntry).where(CalendarEntry.school_urn == school_urn)
            )
        )
        return SchoolCalendar.of(
            [(r.start, r.end) for r in rows if r.kind == "term"],
            [(r.start, r.end) for r in rows if r.kind == "closure"],
        )

    async def calendars(self, school_urns: Iterable[str]) -> dict[str, SchoolCalendar]:
        """Each school's calendar (an empty one where none is on record), read at once."""
        entries: dict[str, list[CalendarEntry]] = {urn: [] for urn in school_urns}
        for chunk in chunks(entries):
            rows = await self.session.exec(
                select(CalendarEntry).where(col(CalendarEntry.school_urn).in_(chunk))
            )
            for r in rows:
                entries[r.school_urn].append(r)
        return {urn: _calendar(rows) for urn, rows in entries.items()}

    async def calendars_on_record(self) -> dict[str, SchoolCalendar]:
        """Every calendar on record, by school (a county's few thousand rows, read at once)."""
        conn = await self.session.connection()
        entries: dict[str, list[Any]] = {}
        rows = sa_select(
            col(CalendarEntry.school_urn),
            col(CalendarEntry.kind),
            col(CalendarEntry.start),
            col(CalendarEntry.end),
        )
        for r in await conn.execute(rows):
            entries.setdefault(r.school_urn, []).append(r)
        return {urn: _calendar(rows) for urn, rows in entries.items()}

    async def schools_by_urn(self, urns: Iterable[str]) -> dict[str, SchoolRow]:
        """These schools, read at once (those not on record are left out)."""
        found: dict[str, SchoolRow] = {}
        for chunk in chunks(set(urns)):
            rows = await self.session.exec(select(School).where(col(School.urn).in_(chunk)))
            found.update((s.urn, SchoolRow(s.urn, s.name, s.local_authority)) for s in rows)
        return found

    async def schools_of(self, upns: Iterable[str]) -> dict[str, SchoolRow]:
        """Each pupil's school, read at once (pupils not on record are left out)."""
        found: dict[str, SchoolRow] = {}
        for chunk in chunks(set(upns)):
            rows = await self.session.exec(
                select(
                    col(Pupil.upn), col(School.urn), col(School.name), col(School.local_authority)
                )
                .join(School, col(School.urn) == col(Pupil.school_urn))
                .where(col(Pupil.upn).in_(chunk))
            )
            found.update((upn, SchoolRow(urn, name, la)) for upn, urn, name, la in rows)
        return found

    async def _upsert(
        self, model: type[SQLModel], key: Any, subject: str, values: dict[str, Any]
    ) -> Change | None:
        row = await self.session.get(model, key)
        if row is None:
            self.session.add(model(**values))
            return Change(subject, {}, values)
        old, new = _diff(row, values)
        if not old:
            return None
        for k, v in new.items():
            setattr(row, k, v)
        self.session.add(row)
        return Change(subject, old, new)

    async def upsert_schools(self, rows: Sequence[SchoolRow]) -> list[Change]:
        changes = [
            await self._upsert(School, r.urn, f"school:{r.urn}", vars(r).copy()) for r in rows
        ]
        await self.session.flush()
        return [c for c in changes if c]

    async def upsert_pupils(self, rows: Sequence[PupilRow]) -> list[Change]:
        changes = [await self._upsert(Pupil, r.upn, f"pupil:{r.upn}", vars(r).copy()) for r in rows]
        await self.session.flush()
        return [c for c in changes if c]

    async def upsert_parents(self, rows: Sequence[ParentRow]) -> list[Change]:
        changes: list[Change | None] = []
        for r in rows:
            person = {
                "parent_id": r.parent_id,
                "name": r.name,
                "email": r.email,
            }
            if r.phone is not None:  # a file without phones leaves those on file
                person["phone"] = r.phone
            changes.append(await self._upsert(Parent, r.parent_id, f"parent:{r.parent_id}", person))
        await self.session.flush()
        for r in rows:
            # The mailbox key follows the email; it is not itself a change to audit.
            stored = await self.session.get(Parent, r.parent_id)
            assert stored is not None
            stored.email_key = address_key(r.email) if r.email else None
        for r in rows:
            link = {"parent_id": r.parent_id, "upn": r.upn, "relationship": r.relationship}
            changes.append(
                await self._upsert(
                    PupilParent, (r.parent_id, r.upn), f"parent:{r.parent_id}:pupil:{r.upn}", link
                )
            )
        await self.session.flush()
        return [c for c in changes if c]

    async def add_calendar(self, rows: Sequence[CalendarRow]) -> list[Change]:
        changes = []
        for r in rows:
            existing = (
                await self.session.exec(
                    select(CalendarEntry).where(
                        CalendarEntry.school_urn == r.school_urn,
                        CalendarEntry.kind == r.kind,
                        CalendarEntry.start == r.start,
                        CalendarEntry.end == r.end,
                    )
                )
            ).first()
            if existing is None:
                self.session.add(CalendarEntry(**vars(r)))
                changes.append(Change(f"calendar:{r.school_urn}", {}, vars(r).copy()))
        await self.session.flush()
        return changes

    async def authorities_in_use(self) -> set[str]:
        return set(await self.session.exec(select(School.local_authority).distinct()))

    async def recorded_rules(self) -> dict[str, AuthorityRules]:
        rows = await self.session.exec(select(AuthorityRule))
        return {
            r.key: AuthorityRules(
                r.name,
                frozenset(r.threshold_codes.split(",")),
                r.nti_weeks,
                r.nti_max_school_days,
                r.n_unresolved_school_days,
            )
            for r in rows
        }

    async def save_rules(self, key: str, rules: AuthorityRules) -> None:
        row = await self.session.get(AuthorityRule, key) or AuthorityRule(
            key=key, name=rules.name, threshold_codes="", nti_weeks=rules.nti_weeks
        )
        row.name = rules.name
        row.threshold_codes = ",".join(sorted(rules.threshold_codes))
        row.nti_weeks = rules.nti_weeks
        row.nti_max_school_days = rules.nti_max_school_days
        row.n_unresolved_school_days = rules.n_unresolved_school_days
        self.session.add(row)
        await self.session.flush()


def _calendar(rows: Iterable[Any]) -> SchoolCalendar:
    """A school's calendar from its rows (kind, start, end)."""
    rows = list(rows)
    return SchoolCalendar.of(
        [(r.start, r.end) for r in rows if r.kind == "term"],
        [(r.start, r.end) for r in rows if r.kind == "closure"],
    )
