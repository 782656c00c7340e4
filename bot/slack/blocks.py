"""Block Kit built by small typed functions, not inline dicts."""

from __future__ import annotations

from typing import Any

from bot.views import AlertView

Block = dict[str, Any]


def text(value: str, markdown: bool = True) -> dict[str, Any]:
    return {"type": "mrkdwn" if markdown else "plain_text", "text": value[:3000]}


def section(value: str) -> Block:
    return {"type": "section", "text": text(value)}


def context(*values: str) -> Block:
    return {"type": "context", "elements": [text(v) for v in values]}


def button(
    label: str, action_id: str, value: str, style: str | None = None, url: str | None = None
) -> Block:
    b: Block = {
        "type": "button",
        "text": text(label, markdown=False),
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        b["style"] = style
    if url:  # Slack opens it in the browser (and still sends the click, which is only acked)
        b["url"] = url[:3000]
    return b


def actions(*buttons: Block) -> Block:
    return {"type": "actions", "elements": list(buttons)}


def alert_blocks(view: AlertView) -> list[Block]:
    """The alert in a channel: initials, year group, what happened, the three buttons, and the
    link to the case page at the alert."""
    marker = ":rotating_light: " if view.urgent else ""
    blocks = [
        section(f"{marker}*{view.title}*\n{view.pupil}\n{view.what_happened}"),
        context(*(f"{label}: {value}" for label, value in view.facts)) if view.facts else None,
    ]
    key = f"{view.event_id}|{view.upn or ''}"
    if not view.upn:  # the buttons act on a pupil's case; a service alert has none
        if view.case_url:  # but it may have a page to open (the inbox)
            blocks.append(section(f"<{view.case_url}|Open the page>"))
        return [b for b in blocks if b is not None]
    buttons = [
        button("Acknowledge", "alert_ack", key, "primary"),
        button("Open the case", "alert_open_case", key),
        button("Record the decision", "alert_decision", key),
    ]
    if view.case_url:  # the case page, opened at this alert
        buttons.append(button("Open the case page", "alert_open_page", key, url=view.case_url))
    blocks.append(actions(*buttons))
    return [b for b in blocks if b is not None]


def alert_fallback(view: AlertView) -> str:
    """The notification text (no names: it shows on lock screens)."""
    return f"{view.title}: {view.pupil}"
