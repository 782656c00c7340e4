"""Putting a letter together for one parent of one pupil from the case log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from attendance.nti_outcome import EscalationGrounds, early_escalation_grounds
from casework.errors import NotFound, Refused
from casework.letter_facts import (
    discussion,
    leave_dates,
    notice_grounds,
    penalty_terms,
    support_available,
    support_lines,
)
from casework.ports import UnitOfWork
from casework.pupils import known_pupil
from casework.records import Entry, NoticeRecord, ParentRow, PupilRow, SchoolContact
from casework.staff import ROLE_TITLES, find_staff, is_account
from casework.thresholds import rules_for_pupil


class Letter(Protocol):
    @property
    def subject(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def html(self) -> str: ...


class Renderer(Protocol):
    def render(self, template: str, authority: str, context: Mapping[str, Any]) -> Letter: ...


@dataclass(frozen=True)
class Staff:
    """Who a letter names for parents to contact (and who sent it: `id`, the staff id)."""

    name: str
    role: str = ""
    phone: str = ""
    email: str = ""
    id: str = ""

    @property
    def actor(self) -> str:
        """Who the case log and the audit name for the act."""
        return self.id or self.name


async def letter_contact(uow: UnitOfWork, by: str, school_urn: str) -> Staff:
    """The named person a letter from `by` gives parents to contact: their name and role, and
    their phone and email (the school's where they have none of their own); Refused, saying how
    to add them, when there is no phone or no email to give."""
    school = await uow.registry.school_contact(school_urn)
    if is_account(by):
        return _school_contact(school, school_urn, by)
    member = await find_staff(uow, by)
    phone, email = member.phone or school.phone, member.email or school.email
    for what, value, option in (
        ("phone number", phone, "--phone P"),
        ("email", email, "--email E"),
    ):
        if not value:
            raise Refused(
                f"no {what} on file for {member.name} or school {school_urn}: a letter must say "
                f"how to contact them; add it with `supportfirst staff add {member.id} {option} "
                f"--by {member.id}` or `supportfirst school set {school_urn} {option} --by "
                f"{member.id}`"
            )
    return Staff(member.name, ROLE_TITLES.get(member.role, member.role), phone, email, member.id)


def _school_contact(school: SchoolContact, school_urn: str, by: str) -> Staff:
    """With no member of staff named (`letter send` as the contract has it), the letter names
    the school's Senior Attendance Champion at the school's phone and email."""
    if not (school.champion and school.phone and school.email):
        raise Refused(
            f"no contact for parents on file for school {school_urn}: name the member of staff "
            f"sending it (--by STAFF), or add the school's with `supportfirst school set "
            f"{school_urn} --champion NAME --phone P --email E --by STAFF`"
        )
    title = ROLE_TITLES.get("senior_attendance_champion", "Senior Attendance Champion")
    return Staff(school.champion, title, school.phone, school.email, by)


# The names of the letters, as a hand-delivery slip records them.
TITLES = {
    "initial_concern": "Letter of initial concern",
    "meeting_invite": "Invitation to a meeting about attendance",
    "meeting_rearranged": "Confirmation of a rearranged meeting",
    "meeting_missed": "Letter after a missed meeting",
    "contract_invite": "Invitation to an attendance contract meeting",
    "contract_failed": "Letter: attendance contract not kept",
    "leave_request_response": "Response to a request for term-time leave",
    "meeting_notes": "Notes of our meeting",
    "nti": "Notice to Improve",
    "intend_legal_intervention": "Notice of intention to request legal intervention",
}


@dataclass(frozen=True)
class LetterOptions:
    """What a letter says beyond the case log: `meeting` is the date/time offered or agreed,
    `granted` answers a leave request for `leave_from`..`leave_to`, `entry` is the case-log
    discussion whose `notes` (its summary when None) a meeting_notes letter sends, `slip_for`
    names the letter a hand-delivery slip is for."""

    ways: tuple[str, ...] = ("by phone", "by video call", "in person at school", "at home")
    meeting: str | None = None
    granted: bool = False
    slip_for: str = "nti"
    leave_from: date | None = None
    leave_to: date | None = None
    entry: int | None = None
    notes: str | None = None


PLAIN = LetterOptions()


async def render_letter(
    uow: UnitOfWork,
    renderer: Renderer,
    template: str,
    pupil: PupilRow,
    parent: ParentRow,
    staff: Staff,
    on: date,
    options: LetterOptions = PLAIN,
) -> Letter:
    """The letter `template` to one parent, inside an open unit of work."""
    school = await uow.registry.school(pupil.school_urn)
    school_contact = await uow.registry.school_contact(pupil.school_urn)
    rules = await rules_for_pupil(uow, pupil.upn)
    entries = await uow.cases.entries(pupil.upn)
    notices = await uow.cases.notices(pupil.upn)
    if template in ("nti", "intend_legal_intervention") and not notices:
        raise Refused(f"{pupil.upn} has no Notice to Improve: issue one first (nti issue)")
    grounds = None
    if template == "intend_legal_intervention":
        grounds = await _escalation_grounds(uow, pupil.upn, notices[-1], entries, on)
    notice = notices[-1] if notices else None
    context: dict[str, Any] = {
        "school": school,
        "school_contact": school_contact,
        "pupil": pupil,
        "parent": parent,
        "staff": staff,
        "today": on,
        "authority": rules.name,
        "weeks": rules.policy.weeks,
        "ways": options.ways,
        "meeting": options.meeting,
        "support": support_lines(entries, on),
        "notice": notice,
        "granted": options.granted,
        "letter_title": TITLES.get(options.slip_for, options.slip_for),
        "grounds": grounds,
        "penalty": penalty_terms(
            await uow.cases.penalties(parent.parent_id, pupil.upn), parent.parent_id, pupil.upn, on
        ),
    }
    if notice is not None:
        marks = await uow.marks.for_pupil(pupil.upn)
        context["notice_grounds"] = notice_grounds(notice, entries, marks, rules.policy)
        context["support_available"] = support_available(notice, entries)
    if template == "leave_request_response":
        calendar = await uow.registry.calendar(pupil.school_urn)
        context["leave"] = leave_dates(calendar, options.leave_from, options.leave_to)
    if template == "meeting_notes":
        talk = discussion(entries, options.entry)
        context["discussion"] = talk
        context["notes"] = (options.notes or talk.summary).strip()
    return renderer.render(template, rules.name, context)


async def _escalation_grounds(
    uow: UnitOfWork, upn: str, notice: NoticeRecord, entries: list[Entry], on: date
) -> EscalationGrounds:
    """The intend letter says "further unauthorised absence" only where there was some, and
    otherwise cites the non-engagement logged; with neither there is nothing to escalate."""
    since = notice.served_start or notice.issued_on + timedelta(days=1)
    codes = (await rules_for_pupil(uow, upn)).threshold_codes
    not_engaged = [
        (e.on, e.summary)
        for e in entries
        if e.kind == "engagement" and e.details.get("engaged") is False and e.on >= notice.issued_on
    ]
    grounds = early_escalation_grounds(
        since, on, await uow.marks.for_pupil(upn), codes, not_engaged
    )
    if not grounds.any:
        raise Refused(
            f"no further unauthorised absence since {since} and no non-engagement logged since "
            f"the notice of {notice.issued_on}: there are no grounds to tell the parents the "
            "school intends to escalate early"
        )
    return grounds


async def pupil_and_parent(uow: UnitOfWork, upn: str, parent_id: str) -> tuple[PupilRow, ParentRow]:
    pupil = await known_pupil(uow, upn)
    parent = next((p for p in await uow.registry.parents_of(upn) if p.parent_id == parent_id), None)
    if parent is None:
        raise NotFound(f"parent {parent_id} is not recorded as a parent of {upn}")
    return pupil, parent


async def letter_for(
    uow: UnitOfWork,
    renderer: Renderer,
    template: str,
    upn: str,
    parent_id: str,
    by: str,
    on: date,
    options: LetterOptions = PLAIN,
) -> Letter:
    """The letter `template` to one parent from staff member `by`, as it would be sent."""
    async with uow:
        pupil, parent = await pupil_and_parent(uow, upn, parent_id)
        staff = await letter_contact(uow, by, pupil.school_urn)
        return await render_letter(uow, renderer, template, pupil, parent, staff, on, options)
