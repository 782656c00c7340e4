"""The case log: every contact, offer of support, meeting and stage change, and the chronology."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from attendance.stages import Stage, parse_stage, skipped_stages
from casework.errors import NotFound, Refused
from casework.ports import UnitOfWork
from casework.records import Entry, NoticeRecord

KINDS = (
    "support_offered",
    "contact",
    "meeting",
    "engagement",
    "stage_changed",
    "referral",
    "decision",
    "contract",
    "note",
)
# What every school does for every pupil: a case first logged later need not explain skipping
# them; skipping anything after them (early help, a meeting, a contract…) needs a reason.
ROUTINE = frozenset({Stage.ATTENDANCE_POLICY, Stage.ABSENCE_CALL_BACK, Stage.PUPIL_CHECK_IN})
WAYS_TO_MEET = ("phone", "video", "in_person", "home_visit", "neutral_venue")


@dataclass(frozen=True)
class LogRequest:
    upn: str
    kind: str
    by: str
    on: date
    summary: str
    stage: str | None = None
    reason: str | None = None
    ways_offered: tuple[str, ...] = ()
    engaged: bool | None = None
    parents_present: bool | None = None
    agreed: bool | None = None


@dataclass(frozen=True)
class Chronology:
    upn: str
    name: str
    school_urn: str
    stage: Stage | None
    entries: list[Entry]
    notices: list[NoticeRecord]


def _current_stage(entries: list[Entry]) -> Stage | None:
    stages = [e.details["stage"] for e in entries if e.kind == "stage_changed"]
    return Stage(stages[-1]) if stages else None


def _details(req: LogRequest, current: Stage | None) -> dict[str, Any]:
    if req.kind not in KINDS:
        raise Refused(f"unknown entry kind {req.kind!r}: use one of {', '.join(KINDS)}")
    if not req.summary.strip():
        raise Refused("say what happened: the summary is empty")
    details: dict[str, Any] = {}
    if req.kind == "meeting":
        wrong = [w for w in req.ways_offered if w not in WAYS_TO_MEET]
        if wrong:
            raise Refused(f"unknown way to meet {wrong[0]!r}: use {', '.join(WAYS_TO_MEET)}")
        if not req.ways_offered:
            raise Refused("record the ways to meet that were offered (phone, video, in person…)")
        details["ways_offered"] = list(req.ways_offered)
        details["attended"] = req.engaged
    if req.kind == "engagement":
        if req.engaged is None:
            raise Refused("say whether the parent engaged (--engaged or --not-engaged)")
        details["engaged"] = req.engaged
    if req.kind == "contract":
        # An attendance contract is voluntary and cannot be agreed without the parents there.
        if req.agreed and not req.parents_present:
            raise Refused("an attendance contract cannot be agreed if the parents are not present")
        details.update(agreed=bool(req.agreed), parents_present=bool(req.parents_present))
    if req.kind == "stage_changed":
        if req.stage is None:
            raise Refused("name the new stage (--stage)")
        try:
            new = parse_stage(req.stage)
        except ValueError as e:
            raise Refused(str(e)) from None
        skipped = [
            s for s in skipped_stages(current, new) if current is not None or s not in ROUTINE
        ]
        if skipped and not (req.reason or "").strip():
            names = ", ".join(str(s) for s in skipped)
            raise Refused(f"moving to {new} skips {names}: give the reason (--reason)")
        details.update(
            stage=str(new),
            previous=str(current) if current else None,
            skipped=[str(s) for s in skipped],
        )
    if req.reason:
        details["reason"] = req.reason
    return details


async def log_entry(uow: UnitOfWork, req: LogRequest, now: datetime) -> int:
    async with uow:
        if await uow.registry.pupil(req.upn) is None:
            raise NotFound(f"no pupil with UPN {req.upn}")
        current = _current_stage(await uow.cases.entries(req.upn))
        details = _details(req, current)
        entry_id = await uow.cases.add_entry(
            req.upn, req.on, req.kind, req.by, req.summary.strip(), details, now
        )
        await uow.audit.append(
            req.by, f"case.{req.kind}", f"pupil:{req.upn}", {"entry": entry_id, **details}, now
        )
        await uow.commit()
    return entry_id


async def chronology(uow: UnitOfWork, upn: str) -> Chronology:
    async with uow:
        pupil = await uow.registry.pupil(upn)
        if pupil is None:
            raise NotFound(f"no pupil with UPN {upn}")
        entries = await uow.cases.entries(upn)
        notices = await uow.cases.notices(upn)
    return Chronology(
        upn,
        f"{pupil.first_name} {pupil.last_name}",
        pupil.school_urn,
        _current_stage(entries),
        entries,
        notices,
    )
