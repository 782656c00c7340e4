"""One pupil's status for staff (`/attendance status UPN`): sessions in the current window,
stage, open notice, each parent's consent to email, the support logged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from attendance.consent import consent_on
from attendance.threshold import ThresholdResult, evaluate
from casework.caselog import current_stage
from casework.ports import UnitOfWork
from casework.pupils import known_pupil, school_name
from casework.records import Entry, NoticeRecord, PupilRow
from casework.thresholds import rules_for_pupil


@dataclass(frozen=True)
class ParentConsent:
    parent_id: str
    name: str
    email: str | None  # the address of the consent in force; None: letters go by post


@dataclass(frozen=True)
class PupilStatus:
    pupil: PupilRow
    school: str
    authority: str
    threshold: ThresholdResult
    stage: str | None
    open_notice: NoticeRecord | None
    parents: tuple[ParentConsent, ...]
    support: tuple[Entry, ...]


async def pupil_status(uow: UnitOfWork, upn: str, on: date) -> PupilStatus:
    async with uow:
        pupil = await known_pupil(uow, upn)
        school = await school_name(uow, pupil)
        rules = await rules_for_pupil(uow, upn)
        result = evaluate(await uow.marks.for_pupil(upn), on, rules.policy)
        entries = await uow.cases.entries(upn)
        notices = [
            n
            for n in await uow.cases.notices(upn, open_only=True)
            if n.served_end is None or n.served_end >= on  # unserved: not started, still open
        ]
        parents = []
        for p in await uow.registry.parents_of(upn):
            consent = consent_on(await uow.consents.for_parent(p.parent_id), on)
            parents.append(ParentConsent(p.parent_id, p.name, consent.email if consent else None))
    stage = current_stage(entries)
    return PupilStatus(
        pupil,
        school,
        rules.name,
        result,
        stage.value if stage else None,
        notices[0] if notices else None,
        tuple(parents),
        tuple(e for e in entries if e.kind == "support_offered"),
    )
