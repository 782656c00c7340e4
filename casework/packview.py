"""What the referral pack's chronology.pdf shows: a plain view model the renderer lays out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from casework.packregister import RegisterRow, Stretch
from casework.packservice import ServiceLine


@dataclass(frozen=True)
class WeekPoint:
    """One school week: unauthorised sessions that week, and in the 10-week window ending it."""

    monday: date
    unauthorised: int
    window_total: int


@dataclass(frozen=True)
class TimelineRow:
    on: date
    by: str
    what: str  # the kind, in words: "Support offered", "Letter sent", …
    how: str  # by email to …, by post, meeting by phone, …
    summary: str
    outcome: str  # e.g. "sent 10 Mar 09:02 (250 queued as 4Xyz)", "bounced", "engaged"


@dataclass(frozen=True)
class ChecklistLine:
    label: str
    state: str  # done | not_applicable | missing
    note: str


@dataclass(frozen=True)
class AddressLine:
    """One postal address a parent had, from the day it was first seen in an import."""

    address: str
    first_seen_on: date
    source: str


@dataclass(frozen=True)
class ParentLine:
    parent_id: str
    name: str
    relationship: str
    contact: str  # "email alex@… (consent 3, form, 1 Mar 2025)" or "post: no consent to email"
    addresses: tuple[AddressLine, ...] = ()  # oldest first; the last is current
    address_checked_on: date | None = None  # the last check staff recorded


@dataclass(frozen=True)
class PackView:
    title: str
    generated_at: datetime
    school: str
    authority: str
    pupil_name: str
    upn: str
    date_of_birth: date
    year_group: str
    parents: tuple[ParentLine, ...]
    contacts: tuple[str, ...]  # school staff named in the chronology
    timeline: tuple[TimelineRow, ...]
    checklist: tuple[ChecklistLine, ...]
    weeks: tuple[WeekPoint, ...]
    threshold: int  # sessions in a window that meet the national threshold (10)
    audit_head: str
    school_urn: str = ""
    school_address: str = ""  # one line; "" when the school's address is not on file
    school_phone: str = ""
    school_email: str = ""  # the attendance email parents and the LA write to
    prepared_by: str = ""  # who exported the pack
    register: tuple[RegisterRow, ...] = ()  # the register extract (casework/packregister.py)
    stretches: tuple[Stretch, ...] = ()  # the windows and periods the extract covers
    service: tuple[ServiceLine, ...] = ()  # each parent's receipt of each formal notice
