"""When a letter would be the same letter again: one template to one parent on one day, about
the same leave dates or the same meeting, is a repeat that needs `--again`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from casework.errors import AGAIN, Refused
from casework.letters import TITLES, LetterOptions
from casework.records import Entry, ParentRow


def letter_about(template: str, options: LetterOptions) -> dict[str, object]:
    """What makes two letters of one template different letters: the leave dates a response
    answers, the discussion whose notes are sent."""
    if template == "leave_request_response":
        return {
            "leave_from": options.leave_from.isoformat() if options.leave_from else None,
            "leave_to": options.leave_to.isoformat() if options.leave_to else None,
            "granted": options.granted,
        }
    if template == "meeting_notes":
        return {"entry": options.entry}
    return {}


def refuse_a_repeat(
    entries: Sequence[Entry],
    template: str,
    about: Mapping[str, object],
    parents: Sequence[ParentRow],
    on: date,
) -> None:
    ids = {p.parent_id for p in parents}
    already = sorted(
        {
            str(e.details.get("parent_id"))
            for e in entries
            if e.kind == "letter_sent"
            and e.on == on
            and e.details.get("template") == template
            and e.details.get("parent_id") in ids
            and all(e.details.get(k) == v for k, v in about.items())
        }
    )
    if already:
        title = TITLES.get(template, template)
        said = f"{title} was already sent to parent {', '.join(already)} on {on}"
        raise Refused(
            f"{said}: to send it to them again today, ask for it again (--again)", AGAIN, said
        )
