"""Modals: the Notice to Improve form (pre-filled with the support already logged), the case
view for authorised staff, and the decision form an alert's button opens."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.alerts.render import TITLES
from bot.commands.access import NOT_STAFF
from bot.slack.blocks import Block, context, section, text
from casework.caselog import DECISIONS
from casework.home import Today

View = dict[str, Any]
DEFAULT_IMPROVEMENT = "No further unauthorised absence during the improvement period"


def _input(
    block_id: str, label: str, element: Block, hint: str | None = None, optional: bool = False
) -> Block:
    b: Block = {
        "type": "input",
        "block_id": block_id,
        "label": text(label, markdown=False),
        "element": {**element, "action_id": "value"},
    }
    if hint:
        b["hint"] = text(hint, markdown=False)
    if optional:
        b["optional"] = True
    return b


def _modal(
    callback_id: str,
    title: str,
    blocks: list[Block],
    meta: dict[str, Any],
    submit: str | None = None,
) -> View:
    view: View = {
        "type": "modal",
        "callback_id": callback_id,
        "title": text(title[:24], markdown=False),
        "close": text("Cancel" if submit else "Close", markdown=False),
        "blocks": blocks,
        "private_metadata": json.dumps(meta),
    }
    if submit:
        view["submit"] = text(submit, markdown=False)
    return view


def nti_form(upn: str, support: tuple[str, ...], on: date) -> View:
    logged = "\n".join(f"• {s}" for s in support[-10:]) or "_No support logged yet._"
    blocks = [
        section(f"*Notice to Improve for {upn}*\nSupport already logged:\n{logged}"),
        _input(
            "improvement",
            "What sufficient improvement means for this family",
            {"type": "plain_text_input", "multiline": True, "initial_value": DEFAULT_IMPROVEMENT},
        ),
        _input(
            "max_further",
            "Further unauthorised sessions allowed",
            {
                "type": "number_input",
                "is_decimal_allowed": False,
                "initial_value": "0",
                "min_value": "0",
            },
            "0 means any further unauthorised absence breaches the notice",
        ),
        _input(
            "available",
            "Support that remains available (one per line)",
            {"type": "plain_text_input", "multiline": True},
            "The notice lists these under the support already offered: choose what fits "
            "this family",
            optional=True,
        ),
        _input("on", "Issue date", {"type": "datepicker", "initial_date": on.isoformat()}),
        context(
            "Each parent gets the notice separately: by email where they consented, "
            "otherwise printed with a hand-delivery slip."
        ),
    ]
    return _modal("nti_issue", "Notice to Improve", blocks, {"upn": upn}, "Issue notice")


def _checkbox(block_id: str, label: str, choice: str, hint: str | None = None) -> Block:
    option = {"text": text(choice, markdown=False), "value": block_id}
    return _input(block_id, label, {"type": "checkboxes", "options": [option]}, hint, True)


AGAIN_BOX = _checkbox(
    "again",
    "Parents who had this letter today",
    "Send it again today",
    "A second copy the same day is a decision: tick only when it is meant",
)


def _leave_blocks() -> list[Block]:
    return [
        _input("leave_from", "First day of leave", {"type": "datepicker"}),
        _input("leave_to", "Last day of leave", {"type": "datepicker"}),
        _checkbox("granted", "The school's answer", "The leave is agreed"),
        _input(
            "request",
            "The parent's written request",
            {"type": "file_input", "max_files": 1},
            "Kept in the case and the referral pack exactly as given",
            optional=True,
        ),
    ]


def _notes_blocks(choices: tuple[tuple[str, str], ...]) -> list[Block]:
    options = [{"text": text(label, markdown=False), "value": v} for v, label in choices]
    return [
        _input(
            "entry",
            "The discussion whose notes to send",
            {"type": "static_select", "options": options},
        ),
        _input(
            "notes",
            "The notes (empty: the entry as logged)",
            {"type": "plain_text_input", "multiline": True},
            optional=True,
        ),
    ]


def letter_form(upn: str, template: str, title: str, choices: tuple[tuple[str, str], ...]) -> View:
    """A letter that needs more than a line of text: the leave dates and the school's answer,
    or the discussion whose notes go to the parents; and whether to send it again today."""
    asked = _leave_blocks() if template == "leave_request_response" else _notes_blocks(choices)
    blocks = [
        section(f"*{title}* for {upn}"),
        *asked,
        AGAIN_BOX,
        context(
            "Each parent gets the letter separately: by email where they consented, "
            "otherwise printed with a hand-delivery slip."
        ),
    ]
    meta = {"upn": upn, "template": template}
    return _modal("letter_send", title, blocks, meta, "Send letter")


def case_view(title: str, body: str, entries: list[str]) -> View:
    blocks = [section(body)]
    if entries:
        blocks.append(section("*Latest in the chronology*\n" + "\n".join(entries)[:2900]))
    return _modal("case_view", title, blocks, {})


def decision_form(upn: str, event_id: str) -> View:
    options = [
        {"text": text(d.replace("_", " ").capitalize(), markdown=False), "value": d}
        for d in DECISIONS
    ]
    blocks = [
        _input(
            "about", "What the decision is about", {"type": "static_select", "options": options}
        ),
        _input("decision", "The decision taken", {"type": "plain_text_input"}),
        _input("reason", "The reason", {"type": "plain_text_input", "multiline": True}),
    ]
    return _modal(
        "alert_decision",
        "Record the decision",
        blocks,
        {"upn": upn, "event_id": event_id},
        "Record",
    )


def values(view: dict[str, Any]) -> dict[str, Any]:
    """The submitted inputs by block id."""
    out: dict[str, Any] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        v = actions.get("value", {})
        if "selected_options" in v:  # checkboxes: the values ticked
            out[block_id] = [o.get("value") for o in v["selected_options"] or []]
            continue
        if "files" in v:  # a file input: the files given, as Slack stored them
            out[block_id] = list(v["files"] or [])
            continue
        out[block_id] = (
            v.get("value")
            or v.get("selected_date")
            or (v.get("selected_option") or {}).get("value")
        )
    return out


def notice_home(notice: str) -> View:
    """The App Home tab showing only a notice (a refusal: nothing about any pupil)."""
    return {"type": "home", "blocks": [section(notice)]}


def home_view(today: Today) -> View:
    """The App Home tab: the user's open cases and today's alerts (the user is staff: names
    are shown here, in a private view, never in a channel)."""
    if today.member is None:
        return notice_home(NOT_STAFF)
    cases = [
        f"• *{c.pupil.first_name} {c.pupil.last_name}* ({c.pupil.upn}), Year "
        f"{c.pupil.year_group}: {c.why}"
        for c in today.cases[:40]
    ] or ["_No open cases._"]
    alerts = [
        f"• {e.created_at:%H:%M} {TITLES.get(e.kind, e.kind)}"
        + (f": {p.first_name} {p.last_name} ({p.upn})" if p else "")
        for e, p in today.alerts[:30]
    ] or ["_No alerts in the last day._"]
    blocks = [
        section(f"*Open cases* ({len(today.cases)})\n" + "\n".join(cases)),
        section("*Today's alerts*\n" + "\n".join(alerts)),
        context(f"{today.member.name}, {today.member.role.replace('_', ' ')}"),
    ]
    return {"type": "home", "blocks": blocks}
