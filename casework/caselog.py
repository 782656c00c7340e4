"""The case log: every contact, offer of support, meeting and stage change, and the chronology."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from attendance.stages import VIEWS, Stage, parse_stage, skipped_stages
from casework.errors import Refused
from casework.escalation import require_parents_told
from casework.pupils import known_pupil
from casework.records import Entry, NoticeRecord, PupilRow

if TYPE_CHECKING:  # annotations only: `--help` lists this module's names without the ports
    from casework.ports import UnitOfWork

# What every school does for every pupil: a case first logged later need not explain skipping
# them; skipping anything after them (early help, a meeting, a contract…) needs a reason.
ROUTINE = frozenset({Stage.ATTENDANCE_POLICY, Stage.ABSENCE_CALL_BACK, Stage.PUPIL_CHECK_IN})
WAYS_TO_MEET = ("phone", "video", "in_person", "home_visit", "neutral_venue")
# The services the LA's referral form asks about, "used, and if not why not".
SERVICES = ("lets_talk", "early_help_drop_in", "taf")
# Decisions the LA asks to see the reason for (no contract, no NTI, action after the threshold).
DECISIONS = ("attendance_contract", "notice_to_improve", "threshold", "legal_intervention")


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
    service: str | None = None
    used: bool | None = None
    role: str | None = None
    about: str | None = None
    supports: bool | None = None  # a view: does it support the referral?
    checked: bool | None = None  # siblings: were the other schools checked?
    # Why the parents were not served the intend letter before an early escalation.
    parents_not_told: str | None = None


@dataclass(frozen=True)
class Chronology:
    upn: str
    name: str
    school_urn: str
    stage: Stage | None
    entries: list[Entry]
    notices: list[NoticeRecord]


def current_stage(entries: list[Entry]) -> Stage | None:
    stages = [e.details["stage"] for e in entries if e.kind == "stage_changed"]
    return Stage(stages[-1]) if stages else None


def _one_of(value: str | None, allowed: tuple[str, ...] | frozenset[str], option: str) -> str:
    if value is None:
        raise Refused(f"{option} is needed: one of {', '.join(sorted(allowed))}")
    value = value.replace("-", "_").lower()
    if value not in allowed:
        raise Refused(f"{option}: {value!r} is not one of {', '.join(sorted(allowed))}")
    return value


def _meeting(req: LogRequest, _current: Stage | None) -> dict[str, Any]:
    wrong = [w for w in req.ways_offered if w not in WAYS_TO_MEET]
    if wrong:
        raise Refused(f"unknown way to meet {wrong[0]!r}: use {', '.join(WAYS_TO_MEET)}")
    if not req.ways_offered:
        raise Refused("record the ways to meet that were offered (phone, video, in person…)")
    return {"ways_offered": list(req.ways_offered), "attended": req.engaged}


def _engagement(req: LogRequest, _current: Stage | None) -> dict[str, Any]:
    if req.engaged is None:
        raise Refused("say whether the parent engaged (--engaged or --not-engaged)")
    return {"engaged": req.engaged}


def _contract(req: LogRequest, _current: Stage | None) -> dict[str, Any]:
    # An attendance contract is voluntary and cannot be agreed without the parents there.
    if req.agreed and not req.parents_present:
        raise Refused("an attendance contract cannot be agreed if the parents are not present")
    return {"agreed": bool(req.agreed), "parents_present": bool(req.parents_present)}


def _stage_changed(req: LogRequest, current: Stage | None) -> dict[str, Any]:
    if req.stage is None:
        raise Refused("name the new stage (--stage)")
    try:
        new = parse_stage(req.stage)
    except ValueError as e:
        raise Refused(str(e)) from None
    skipped = [s for s in skipped_stages(current, new) if current is not None or s not in ROUTINE]
    if skipped and not (req.reason or "").strip():
        names = ", ".join(str(s) for s in skipped)
        raise Refused(f"moving to {new} skips {names}: give the reason (--reason)")
    return {
        "stage": str(new),
        "previous": str(current) if current else None,
        "skipped": [str(s) for s in skipped],
    }


def _service(req: LogRequest, _current: Stage | None) -> dict[str, Any]:
    service = _one_of(req.service, SERVICES, "--service")
    if req.used is None:
        raise Refused("say whether the service was used (--used or --not-used)")
    if not req.used and not (req.reason or "").strip():
        raise Refused("say why the service was not used (--reason)")
    return {"service": service, "used": req.used}


def _view(req: LogRequest, _current: Stage | None) -> dict[str, Any]:
    role = _one_of(req.role, frozenset(VIEWS), "--role")
    # The ACT reads the view for its stance: an objection must show as one, not as "recorded".
    if req.supports is None:
        raise Refused(
            f"say whether the {VIEWS[role]} supports the referral (--supports or --objects)"
        )
    return {"role": role, "supports": req.supports}


def _siblings(req: LogRequest, _current: Stage | None) -> dict[str, Any]:
    if req.checked is None:
        raise Refused(
            "say whether siblings at other schools were checked (--checked or --not-checked)"
        )
    return {"checked": req.checked}


def _decision(req: LogRequest, _current: Stage | None) -> dict[str, Any]:
    if not (req.reason or "").strip():
        raise Refused("a decision needs its reason (--reason): the LA will ask for it")
    return {"about": _one_of(req.about, DECISIONS, "--about")}


def _plain(_req: LogRequest, _current: Stage | None) -> dict[str, Any]:
    return {}


KIND_DETAILS: dict[str, Callable[[LogRequest, Stage | None], dict[str, Any]]] = {
    "support_offered": _plain,
    "contact": _plain,
    "meeting": _meeting,
    "engagement": _engagement,
    "stage_changed": _stage_changed,
    "contract": _contract,
    "referral": _plain,  # to another agency
    "service": _service,
    "view": _view,
    "decision": _decision,
    "siblings": _siblings,
    "circumstances": _plain,
    "note": _plain,
}
KINDS = tuple(KIND_DETAILS)


def _details(req: LogRequest, current: Stage | None) -> dict[str, Any]:
    if req.kind not in KIND_DETAILS:
        raise Refused(f"unknown entry kind {req.kind!r}: use one of {', '.join(KINDS)}")
    if not req.summary.strip():
        raise Refused("say what happened: the summary is empty")
    details = KIND_DETAILS[req.kind](req, current)
    if req.reason:
        details["reason"] = req.reason.strip()
    return details


def _escalation(kind: str, details: dict[str, Any]) -> str | None:
    """The act, if this entry asks for legal intervention (which tells the parents first)."""
    if kind == "decision" and details["about"] == "legal_intervention":
        return "a decision on legal intervention"
    if kind == "stage_changed" and details["stage"] == Stage.LEGAL_INTERVENTION_REFERRAL:
        return "the move to legal_intervention_referral"
    return None


async def log_entry(uow: UnitOfWork, req: LogRequest, now: datetime) -> int:
    async with uow:
        await known_pupil(uow, req.upn)
        current = current_stage(await uow.cases.entries(req.upn))
        details = _details(req, current)
        if act := _escalation(req.kind, details):
            untold = await require_parents_told(uow, req.upn, req.on, act, req.parents_not_told)
            details |= untold.details() if untold else {}
        entry_id = await uow.cases.add_entry(
            req.upn, req.on, req.kind, req.by, req.summary.strip(), details, now
        )
        await uow.audit.append(
            req.by, f"case.{req.kind}", f"pupil:{req.upn}", {"entry": entry_id, **details}, now
        )
        await uow.commit()
    return entry_id


async def case_log(uow: UnitOfWork, upn: str) -> tuple[PupilRow, list[Entry], list[NoticeRecord]]:
    """Inside an open unit of work: the pupil (or NotFound), their case log and notices."""
    pupil = await known_pupil(uow, upn)
    return pupil, await uow.cases.entries(upn), await uow.cases.notices(upn)


async def chronology(uow: UnitOfWork, upn: str) -> Chronology:
    async with uow:
        pupil, entries, notices = await case_log(uow, upn)
    return Chronology(
        upn,
        f"{pupil.first_name} {pupil.last_name}",
        pupil.school_urn,
        current_stage(entries),
        entries,
        notices,
    )
