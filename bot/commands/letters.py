"""Letters and notices from chat: which letters need a form (the leave dates, the discussion
whose notes are sent), the choices that form offers, the answer once sent, and refusals and
warnings said in chat's words (a form's field or a word to add), never the command line's
option names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from casework.errors import AGAIN, DISCUSSION, LEAVE_DATES, CaseworkError, Refused
from casework.letter_facts import DISCUSSION_KINDS
from casework.notices import LOG_SUPPORT, NAME_AVAILABLE
from casework.records import Entry
from casework.sending import LetterSent

# The letters chat cannot send from a line of text: each opens its form.
FORM_LETTERS = ("leave_request_response", "meeting_notes")
# Slack's static select shows at most 100 options, each label at most 75 characters.
MAX_CHOICES, MAX_LABEL = 100, 75

IN_THE_FORM = {
    LEAVE_DATES: "choose the leave dates in the form",
    DISCUSSION: "choose the discussion in the form",
    AGAIN: "to send it to them again today, tick “Send it again today” in the form",
}


def by_command(template: str, upn: str) -> dict[str, str]:
    """How the slash command is told to go on, for a refusal of `/attendance letter …`."""
    form = f"`/attendance letter {template} {upn}` opens the form for it"
    return {
        LEAVE_DATES: form,
        DISCUSSION: form,
        AGAIN: "to send it to them again today, add `again`: "
        f"`/attendance letter {template} {upn} again`",
    }


def in_chat(e: CaseworkError, words: Mapping[str, str]) -> str:
    """A refusal for chat: what it needs said in `words`, or its reason without option names."""
    if isinstance(e, Refused) and e.needs:
        hint = words.get(e.needs)
        return f"{e.said}: {hint}." if hint else f"{e.said}."
    return str(e)


def chat_warning(warning: str, upn: str) -> str:
    """A notice's warning as chat says it: the form's field or the slash command, not a flag."""
    return warning.replace(
        f"({LOG_SUPPORT})", f"(`/attendance log {upn} support_offered …`)"
    ).replace(f"({NAME_AVAILABLE})", "(“Support that remains available” in the form)")


def discussions(entries: Iterable[Entry]) -> tuple[tuple[str, str], ...]:
    """The discussions whose notes can be sent, newest first: (entry id, what the select shows)."""
    found = [e for e in entries if e.kind in DISCUSSION_KINDS]
    choices = []
    for e in sorted(found, key=lambda e: (e.on, e.id), reverse=True)[:MAX_CHOICES]:
        label = f"{e.on:%d %b %Y} {e.kind}: {e.summary}"
        cut = label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"
        choices.append((str(e.id), cut))
    return tuple(choices)


def sent_text(sent: LetterSent) -> str:
    lines = [f"{sent.template} for {sent.upn}:"] + [
        f"parent {r.parent_id}: "
        + ("emailed (queued)" if r.route == "email" else f"print letter {r.printed_id}")
        + f" ({r.reason})"
        for r in sent.parents
    ]
    return "\n".join(lines)
