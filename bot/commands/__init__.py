"""The one command layer Slack, Teams and the CLI share: `/attendance …` text in, a neutral
Answer out. It parses into casework calls, each behind the one access guard (bot.commands.access);
the alert buttons' acts are in bot.commands.alerts. No rule lives here."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from datetime import date

from bot.commands.access import AlertRef, Guard
from bot.commands.alerts import AlertCommands
from bot.commands.asks import Answer, Ask
from bot.commands.letters import (
    FORM_LETTERS,
    IN_THE_FORM,
    by_command,
    chat_warning,
    discussions,
    in_chat,
    sent_text,
)
from bot.commands.status import status_text
from casework.caselog import LogRequest, log_entry
from casework.consent import record_consent
from casework.errors import CaseworkError
from casework.letters import TITLES, LetterOptions
from casework.notices import issue_nti
from casework.pack import ChronologyRenderer
from casework.packzip import Seal, prepare_export, record_export
from casework.ports import UnitOfWork
from casework.records import StaffRecord
from casework.sending import Mailroom, send_letter
from casework.status import pupil_status

USAGE = """\
`/attendance status UPN`: sessions in the window, stage, notice, consent per parent
`/attendance log UPN support_offered|contact|note|circumstances|siblings_checked SUMMARY…`
`/attendance letter TEMPLATE UPN [again]`: email if consented, else print + slip; `again`: 2nd today
  (`leave_request_response` and `meeting_notes` open a form: the leave dates, the discussion)
`/attendance nti UPN`: the Notice to Improve form (only when the law allows one)
`/attendance consent PARENT_ID EMAIL form|email|portal|verbal-confirmed-in-writing`
`/attendance pack UPN`: the referral pack
`/attendance help`"""
__all__ = ["USAGE", "AlertRef", "Answer", "Ask", "Commands", "Guard", "status_text"]
CHAT_LOG_KINDS = ("support_offered", "contact", "note", "circumstances", "siblings_checked")
# From chat, siblings are logged once checked (the summary says what was found); a check not
# yet made is no entry at all, so the checklist keeps showing the gap.


class Commands:
    def __init__(
        self,
        new_uow: Callable[[], UnitOfWork],
        mailroom: Callable[[], Mailroom],
        render_chronology: ChronologyRenderer | None = None,
        seal: Seal | None = None,
    ):
        self.new_uow = new_uow
        self.mailroom = mailroom
        self.render_chronology = render_chronology
        self.seal = seal  # signs each pack's manifest, as `supportfirst pack` does
        self.guard = Guard(new_uow)
        self.alerts = AlertCommands(new_uow, self.guard)

    async def run(self, ask: Ask) -> Answer:
        try:
            words = shlex.split(ask.text)
        except ValueError as e:
            return Answer(f"I could not read that ({e}).\n{USAGE}", refused=True)
        if not words or words[0] == "help":
            return Answer(USAGE)
        action, args = words[0].lower(), words[1:]
        handlers = {
            "status": (1, self._status),
            "log": (3, self._log),
            "letter": (2, self._letter),
            "nti": (1, self._nti),
            "consent": (3, self._consent),
            "pack": (1, self._pack),
        }
        if action not in handlers:
            return Answer(f"I don't know `{action}`.\n{USAGE}", refused=True)
        needed, handler = handlers[action]
        if len(args) < needed:
            return Answer(f"`{action}` needs more.\n{USAGE}", refused=True)
        # Each pupil the act is about (a parent with no children on record: the role alone).
        caller: StaffRecord | Answer = await self.guard.admit(ask, action)
        for upn in await self._pupils(action, args):
            if isinstance(caller, Answer):
                break
            caller = await self.guard.admit(ask, action, upn=upn)
        if isinstance(caller, Answer):
            return caller
        try:
            return await handler(ask, caller, args)
        except CaseworkError as e:
            said_how = by_command(args[0], args[1].upper()) if action == "letter" else {}
            return Answer(in_chat(e, said_how), refused=True)

    async def _pupils(self, action: str, args: list[str]) -> list[str]:
        """The pupils an act is about, for the guard's school check: consent is about each
        child of the parent."""
        if action == "letter":
            return [args[1].upper()]
        if action != "consent":
            return [args[0].upper()]
        async with self.new_uow() as uow:
            return await uow.registry.children_of(args[0])

    async def _status(self, ask: Ask, _who: StaffRecord, args: list[str]) -> Answer:
        s = await pupil_status(self.new_uow(), args[0].upper(), ask.on)
        return Answer(status_text(s), upn=s.pupil.upn)

    async def _log(self, ask: Ask, who: StaffRecord, args: list[str]) -> Answer:
        upn, kind, summary = args[0].upper(), args[1], " ".join(args[2:])
        if kind not in CHAT_LOG_KINDS:
            return Answer(
                f"From chat, log one of {', '.join(CHAT_LOG_KINDS)}; meetings, contracts and "
                "decisions have their own forms.",
                refused=True,
            )
        if kind == "siblings_checked":
            request = LogRequest(upn, "siblings", who.id, ask.on, summary, checked=True)
        else:
            request = LogRequest(upn, kind, who.id, ask.on, summary)
        entry = await log_entry(self.new_uow(), request, ask.now)
        return Answer(f"Logged {kind.replace('_', ' ')} for {upn} (entry {entry}).", upn=upn)

    async def _letter(self, ask: Ask, who: StaffRecord, args: list[str]) -> Answer:
        template, upn = args[0], args[1].upper()
        if template in FORM_LETTERS:
            return await self._letter_form(template, upn)
        again = [a.lower() for a in args[2:]] == ["again"]
        sent = await send_letter(
            self.new_uow(), self.mailroom(), template, upn, who.id, ask.on, ask.now, again=again
        )
        return Answer(sent_text(sent), upn=upn)

    async def _letter_form(self, template: str, upn: str) -> Answer:
        """A letter that needs more than a line of text: its form (a meeting's notes offer
        the discussions logged)."""
        choices: tuple[tuple[str, str], ...] = ()
        if template == "meeting_notes":
            async with self.new_uow() as uow:
                choices = discussions(await uow.cases.entries(upn))
            if not choices:
                return Answer(
                    f"No meeting, contract meeting or contact is logged for {upn}: log the "
                    f"discussion first (`/attendance log {upn} contact …`), then send its notes.",
                    refused=True,
                    upn=upn,
                )
        title = TITLES.get(template, template)
        return Answer(
            f"Opening the form: {title}.",
            form="letter",
            upn=upn,
            template=template,
            choices=choices,
        )

    async def send_letter_form(
        self,
        ask: Ask,
        upn: str,
        template: str,
        options: LetterOptions,
        again: bool,
        request: tuple[str, bytes] | None = None,
    ) -> Answer:
        """The letter form's submission (checked again: the form names the pupil)."""
        caller = await self.guard.admit(ask, "letter", upn=upn)
        if isinstance(caller, Answer):
            return caller
        try:
            sent = await send_letter(
                self.new_uow(),
                self.mailroom(),
                template,
                upn,
                caller.id,
                ask.on,
                ask.now,
                options,
                again=again,
                request=request,
            )
        except CaseworkError as e:
            return Answer(in_chat(e, IN_THE_FORM), refused=True, upn=upn)
        return Answer(sent_text(sent), upn=upn)

    async def _nti(self, ask: Ask, _who: StaffRecord, args: list[str]) -> Answer:
        s = await pupil_status(self.new_uow(), args[0].upper(), ask.on)
        if not s.threshold.met:
            return Answer(
                f"A Notice to Improve cannot be issued for {s.pupil.upn} today: "
                f"{s.threshold.unauthorised_sessions} unauthorised sessions in the window, "
                "below the national threshold of 10.",
                refused=True,
                upn=s.pupil.upn,
            )
        if s.open_notice is not None:
            return Answer(
                f"Notice to Improve {s.open_notice.id} is already running until "
                f"{s.open_notice.served_end or s.open_notice.period_end}.",
                refused=True,
                upn=s.pupil.upn,
            )
        support = tuple(f"{e.on}: {e.summary}" for e in s.support)
        return Answer(
            "Opening the Notice to Improve form.", form="nti", upn=s.pupil.upn, prefill=support
        )

    async def issue_nti(
        self,
        ask: Ask,
        upn: str,
        improvement: str,
        max_further: int,
        on: date,
        available: tuple[str, ...] = (),
    ) -> Answer:
        """The NTI form's submission (checked again: the form names the pupil)."""
        caller = await self.guard.admit(ask, "nti", upn=upn)
        if isinstance(caller, Answer):
            return caller
        try:
            n = await issue_nti(
                self.new_uow(),
                self.mailroom(),
                upn,
                caller.id,
                improvement,
                on,
                max_further,
                ask.now,
                available,
            )
        except CaseworkError as e:
            return Answer(in_chat(e, IN_THE_FORM), refused=True, upn=upn)
        routes = ", ".join(
            f"parent {r.parent_id}: {'emailed' if r.route == 'email' else 'print + slip'}"
            for r in n.deliveries
        )
        warnings = "".join(f"\nWarning: {chat_warning(w, upn)}" for w in n.warnings)
        return Answer(
            f"Notice to Improve {n.notice_id} issued for {upn}: improvement period "
            f"{n.period_start} to {n.period_end}. {routes}.{warnings}",
            upn=upn,
        )

    async def _consent(self, ask: Ask, who: StaffRecord, args: list[str]) -> Answer:
        parent, email, method = args[0], args[1], args[2]
        c = await record_consent(
            self.new_uow(),
            self.mailroom().evidence,
            parent,
            email,
            method,
            ask.on,
            who.id,
            ask.now,
        )
        return Answer(f"Consent {c.id} recorded: parent {parent} at {c.email} ({method}).")

    async def _pack(self, ask: Ask, who: StaffRecord, args: list[str]) -> Answer:
        if self.render_chronology is None:
            return Answer("Referral packs cannot be built here.", refused=True)
        upn = args[0].upper()
        done = await prepare_export(
            self.new_uow(),
            self.mailroom().evidence,
            self.render_chronology,
            upn,
            who.id,
            ask.now,
            self.seal,
        )
        name = f"referral-pack-{upn}-{ask.on.isoformat()}.zip"

        async def delivered() -> None:  # audited once the surface has handed it over
            await record_export(self.new_uow(), done, who.id, f"slack:{ask.user_id}", ask.now)

        return Answer(
            f"The referral pack for {upn}: {len(done.pack.files)} files, manifest SHA-256 "
            f"{done.manifest_sha256}. Check it with `supportfirst verify {name}`.",
            upn=upn,
            attachment=(name, done.data),
            delivered=delivered,
        )
