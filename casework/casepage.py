"""What the case page shows and lets staff download: the pack's view of the case (pupil,
parents, chronology, chart, checklist), the notices with each parent's service, the alerts still
to acknowledge, and every stored document, each downloadable exactly as kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from casework.pack import _read_case, _view  # the pack's own reading: one view of a case
from casework.packfiles import leave_request_path
from casework.packview import PackView
from casework.ports import UnitOfWork
from casework.records import Delivery, Entry, NoticeRecord, PendingEvent

ALERTS_SHOWN_FOR = timedelta(days=60)


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    label: str  # "Letter to P1: initial concern (post)", "Email from …", …
    media_type: str  # what the download is served as


@dataclass(frozen=True)
class CasePage:
    view: PackView
    notices: tuple[tuple[NoticeRecord, tuple[Delivery, ...]], ...]
    alerts: tuple[PendingEvent, ...]  # not yet acknowledged
    files: tuple[StoredFile, ...]
    # Acknowledged, with the acknowledgement: an older Slack or Teams link still finds its alert.
    handled: tuple[tuple[PendingEvent, Entry], ...] = ()


async def case_page(uow: UnitOfWork, upn: str, now: datetime) -> CasePage:
    case = await _read_case(uow, upn, now.date())
    async with uow:
        notices = [
            (n, tuple(await uow.cases.deliveries(n.id))) for n in await uow.cases.notices(upn)
        ]
        recent = await uow.outbox.recent(now - ALERTS_SHOWN_FOR, limit=1000)
    acknowledged = {
        e.details.get("event_id"): e for e in case.entries if e.kind == "alert_acknowledged"
    }
    alerts = tuple(e for e in recent if e.upn == upn and e.id not in acknowledged)
    handled = tuple(
        (e, acknowledged[e.id]) for e in recent if e.upn == upn and e.id in acknowledged
    )
    files = [
        *(
            StoredFile(
                e.sha256, f"Email to {e.recipient}: {e.template} ({e.state})", "message/rfc822"
            )
            for e in case.sent
        ),
        *(
            StoredFile(
                r.sha256,
                f"Email from {r.from_address or 'unknown'} ({r.mail_class})",
                "message/rfc822",
            )
            for r in case.received
        ),
    ]
    for p in case.printed:
        files.append(
            StoredFile(p.letter_sha256, f"Letter to {p.parent_id}: {p.template}", p.media_type)
        )
        files.append(
            StoredFile(
                p.slip_sha256, f"Delivery slip for {p.parent_id}: {p.template}", "application/pdf"
            )
        )
    for c in case.consents:
        if c.evidence_sha256:
            files.append(
                StoredFile(
                    c.evidence_sha256,
                    f"Consent {c.id} of {c.parent_id} ({c.method})",
                    "application/octet-stream",
                )
            )
    files += _leave_requests(case.entries)
    view = _view(case, now, prepared_by="")  # a page on screen, not an exported pack
    return CasePage(view, tuple(notices), alerts, tuple(files), handled)


def _leave_requests(entries: list[Entry]) -> list[StoredFile]:
    """The written requests the leave responses answered, as the pack files them."""
    return [
        StoredFile(
            str(e.details["request_sha256"]),
            f"Request for term-time leave, {e.details.get('leave_from')} to "
            f"{e.details.get('leave_to')} ({e.details.get('request_file')})",
            # a parent's file is never served as a page the browser would run
            "application/pdf" if path.lower().endswith(".pdf") else "application/octet-stream",
        )
        for e in entries
        if (path := leave_request_path(e)) is not None
    ]


async def stored_file(uow: UnitOfWork, upn: str, sha256: str, now: datetime) -> StoredFile | None:
    """The file, when it belongs to this pupil's case (nothing else may be downloaded here)."""
    page = await case_page(uow, upn, now)
    return next((f for f in page.files if f.sha256 == sha256), None)
