"""`outbox send|status`, `evidence show`, `mail ingest|inbox`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from supportfirst.cli.common import (
    ByOpt,
    DbOpt,
    JsonOpt,
    OnlySchoolOpt,
    UserError,
    emit_json,
    run,
    seeing,
    seeing_one,
)

if TYPE_CHECKING:
    from casework.evidence import EvidenceItem
    from casework.ports import Evidence
    from supportfirst.bootstrap import App

outbox_app = typer.Typer(help="Emails waiting to be sent, and the sender.", no_args_is_help=True)
evidence_app = typer.Typer(help="Emails kept exactly as sent or received.", no_args_is_help=True)
mail_app = typer.Typer(help="Reading parents' replies and bounces.", no_args_is_help=True)


@outbox_app.command("send")
def outbox_send(
    once: Annotated[
        bool, typer.Option("--once", help="send everything due, then exit (serve runs it always)")
    ] = False,
    json_: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Send the queued emails (through SUPPORTFIRST_SMTP_URL, or the embedded server)."""
    if not once:
        raise typer.BadParameter("the long-running sender is part of `serve`; use --once here")
    # aiosmtplib, aiosmtpd, imap_tools and DKIM: loaded only by the commands that send or read.
    from casework.evidence import outbox_status
    from mail.sender import SmtpUrlError
    from supportfirst.sending import Sender, smtp_server

    async def work(application: App) -> None:
        try:
            async with smtp_server(application) as server:
                sender = Sender(application, server, application.settings.smtp_connections)
                try:
                    totals = await sender.drain()
                finally:
                    await sender.close()
        except SmtpUrlError as e:
            raise UserError(str(e)) from None
        status = await outbox_status(application.uow())
        if json_:
            emit_json(
                {
                    "sent": totals.sent,
                    "retrying": totals.retrying,
                    "failed": totals.failed,
                    "settled": totals.settled,
                    "outbox": status,
                }
            )
            return
        typer.echo(
            f"sent {totals.sent}, to retry later {totals.retrying}, failed {totals.failed}"
            + (f", settled after a crash {totals.settled}" if totals.settled else "")
        )
        typer.echo("outbox: " + ", ".join(f"{k} {v}" for k, v in status.items()))

    run(db, work)


@outbox_app.command("status")
def outbox_status_command(
    json_: JsonOpt = False, by: ByOpt = None, school: OnlySchoolOpt = None, db: DbOpt = None
) -> None:
    """Count the emails queued, being sent, sent and failed (those to the parents of the pupils
    of the schools of the member of staff asking)."""
    from casework.evidence import outbox_status

    async def work(application: App) -> None:
        scope = await seeing(application, by, school, "reading the outbox")
        status = await outbox_status(application.uow(), scope.schools)
        if json_:
            emit_json(status)
        else:
            typer.echo(", ".join(f"{k} {v}" for k, v in status.items()))

    run(db, work)


def _summary(item: EvidenceItem) -> dict[str, object]:
    doc: dict[str, object] = {
        "sha256": item.sha256,
        "size": len(item.raw) if item.raw is not None else None,
        "matches": item.matches,
        "stored": item.raw is not None,
    }
    if item.sent is not None:
        e = item.sent
        doc.update(
            direction="sent",
            message_id=e.message_id,
            upn=e.upn,
            parent_id=e.parent_id,
            recipient=e.recipient,
            consent_id=e.consent_id,
            template=e.template,
            notice_id=e.notice_id,
            envelope_from=e.envelope_from,
            state=e.state,
            queued_at=e.queued_at.isoformat(),
            queued_by=e.queued_by,
            sent_at=e.sent_at.isoformat() if e.sent_at else None,
            smtp_reply=f"{e.smtp_code} {e.smtp_text}" if e.smtp_code else e.smtp_text,
            queue_id=e.queue_id,
            deemed_received_on=e.deemed_received_on.isoformat() if e.deemed_received_on else None,
            failure=e.failure,
            attempts=[
                {
                    "at": a.at.isoformat(),
                    "outcome": a.outcome,
                    "code": a.code,
                    "text": a.text,
                }
                for a in item.attempts
            ],
        )
    elif item.received is not None:
        r = item.received
        doc.update(
            direction="received",
            message_id=r.message_id,
            upn=r.upn,
            sender=r.from_address,
            subject=r.subject,
            mail_class=r.mail_class,
            quarantined=r.quarantined,
            reason=r.reason,
            received_at=r.received_at.isoformat(),
            mailbox=r.mailbox,
        )
    return doc


@evidence_app.command("show")
def evidence_show(
    message_id: str,
    raw: Annotated[bool, typer.Option("--raw", help="exactly the stored bytes, on stdout")] = False,
    json_: JsonOpt = False,
    by: ByOpt = None,
    db: DbOpt = None,
) -> None:
    """A sent or received email: its SHA-256, whether the stored bytes still match, and what
    the server said (with --raw, the bytes themselves); one about a pupil of the schools of the
    member of staff asking."""
    from casework.evidence import evidence_for

    async def work(application: App) -> None:
        item = await evidence_for(application.uow(), application.evidence(), message_id)
        doing = "reading this evidence"
        if item.sent is not None:
            await seeing_one(application, by, doing, upn=item.sent.upn)
        await seeing_one(application, by, doing, message=item.received)
        if raw:
            if item.raw is None:
                raise UserError(f"the stored bytes of {message_id} ({item.sha256}) are missing")
            sys.stdout.buffer.write(item.raw)
            sys.stdout.buffer.flush()
            return
        doc = _summary(item)
        if json_:
            emit_json(doc)
        else:
            for key, value in doc.items():
                if key == "attempts":
                    for a in value if isinstance(value, list) else []:
                        typer.echo(
                            f"attempt: {a['at']} {a['outcome']} {a['code'] or ''} "
                            f"{a['text'] or ''}".rstrip()
                        )
                elif value is not None:
                    typer.echo(f"{key}: {value}")
        if not item.matches:
            raise UserError(
                f"the stored bytes of {message_id} no longer match their SHA-256 {item.sha256}"
            )

    run(db, work)


@mail_app.command("ingest")
def mail_ingest(
    once: Annotated[bool, typer.Option("--once", help="read what is new, then exit")] = False,
    json_: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Read new mail from the inbox: store each message raw, classify it, file it to its case
    (or quarantine it with the reason). Exits 0 even when some messages could not be parsed."""
    if not once:
        raise typer.BadParameter("the long-running ingester is part of `serve`; use --once here")
    from mail.inbox import InboxUrlError
    from mail.reading_pool import ReadingFailed
    from supportfirst.ingesting import ingest_once, open_inbox

    async def work(application: App) -> None:
        try:
            inbox = open_inbox(application)
        except InboxUrlError as e:
            raise UserError(str(e)) from None
        try:
            totals = await ingest_once(application, inbox)
        except OSError as e:
            raise UserError(f"cannot read {inbox.name}: {e}") from None
        except ReadingFailed as e:  # the batch is read again by the next run
            raise UserError(f"{inbox.name}: {e}") from None
        finally:
            inbox.close()
        doc: dict[str, object] = {
            "read": totals.read,
            "new": totals.new,
            "matched": totals.matched,
            "quarantined": totals.quarantined,
        }
        skipped = [str(p) for p in getattr(inbox, "skipped", [])]
        for path in skipped:  # links and folders in the Maildir: never read (mail/inbox.py)
            typer.echo(f"{path}: skipped, not a regular file (a link or a folder)", err=True)
        if skipped:
            doc["skipped"] = skipped
        if json_:
            emit_json(doc)
        else:
            typer.echo(", ".join(f"{k} {v}" for k, v in doc.items()))

    run(db, work)


def _failed_recipients(evidence: Evidence, mail_class: str, sha256: str) -> list[str] | None:
    """Who a bounce says did not receive the message, read again from the stored evidence
    bytes (the classifier is pure: no column to migrate); [] for every other class; None
    when the evidence is missing (`evidence show` says more), rather than a guess."""
    if mail_class != "bounce":
        return []
    from mail.classify import classify
    from store.evidence import EvidenceMissing

    try:
        raw = evidence.get(sha256)
    except EvidenceMissing:
        return None
    return list(classify(raw).failed_recipients)


@mail_app.command("inbox")
def mail_inbox(
    json_: JsonOpt = False, by: ByOpt = None, school: OnlySchoolOpt = None, db: DbOpt = None
) -> None:
    """Every ingested message, oldest first: its class, the case it was filed to, or why it
    was quarantined (those about the pupils of the schools of the member of staff asking)."""
    from casework.scope import seen_messages

    async def work(application: App) -> None:
        scope = await seeing(application, by, school, "reading the mail")
        async with application.uow() as uow:
            records = await uow.mail.inbound()
        records = await seen_messages(application.uow(), scope, records)
        evidence = application.evidence()
        messages = [
            {
                "id": r.id,
                "message_id": r.message_id,
                "from": r.from_address,
                "subject": r.subject,
                "class": r.mail_class,
                "upn": r.upn,
                "quarantined": r.quarantined,
                "reason": r.reason,
                "quarantine": r.quarantine,
                "sender_verified": r.sender_verified,
                "authentication": r.authentication,
                "sha256": r.sha256,
                "received_at": r.received_at.isoformat(),
                "failed_recipients": _failed_recipients(evidence, r.mail_class, r.sha256),
                "triage": r.triage,  # staff's: attached or dismissed from the quarantine
                "triaged_by": r.triaged_by,
                "triage_reason": r.triage_reason,
                "parent_id": r.parent_id,
            }
            for r in records
        ]
        if json_:
            emit_json({"messages": messages})
            return
        for m in messages:
            where = m["upn"] or f"QUARANTINED: {m['reason']}"
            typer.echo(f"{m['id']:>5} {m['class']:<10} {m['from'] or '-'} {m['subject'] or '-'}")
            if m["sender_verified"] is False:
                typer.echo("      sender not verified: nothing proves it came from that address")
            typer.echo(f"      {where}")

    run(db, work)
