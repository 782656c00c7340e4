"""End to end: an attendance officer issues a Notice to Improve from Slack's form, and the
parent's email arrives in their mailbox behind real Postfix and Dovecot, with the PDF."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from email import message_from_bytes
from email.policy import default

import aiohttp
from aiohttp import web
from pydantic import SecretStr

from casework.consent import record_consent
from casework.imports import import_csv
from mail.sender import SmtpServer
from supportfirst.alerting import slack_app
from supportfirst.bootstrap import App
from supportfirst.sending import Sender
from supportfirst.serve import make_web_app
from tests import builders as b
from tests.cases import enrol
from tests.mailservers import MailServers, unique_address
from tests.slackapi import (
    SlackStandIn,
    interaction_body,
    signed_headers,
    slash_command_body,
    view_submission_payload,
)

FORM = ("consent-form.pdf", b"%PDF-1.4 the signed consent form")

SECRET = "e2e-signing-secret"
NOW = datetime(2025, 3, 7, 15, 0, tzinfo=UTC)


async def test_an_nti_issued_from_slack_reaches_the_parents_mailbox(
    school: App, slack_api: SlackStandIn, mail_servers: MailServers
) -> None:
    s = school.settings
    s.slack_bot_token, s.slack_signing_secret = SecretStr(slack_api.token), SecretStr(SECRET)
    s.slack_api_url = slack_api.base_url
    gone = [(date(2025, 3, d), x) for d in range(3, 8) for x in ("AM", "PM")]
    marks = b.marks(b.UPN_1, date(2025, 2, 24), date(2025, 3, 7), absent=gone, code="O")
    await import_csv(school.uow(), "marks", "m.csv", b.csv_bytes(b.MARKS_HEADER, marks), "o", NOW)
    await enrol(school.uow, "U1OFFICER", "Ms Patel", "attendance_officer", now=NOW)
    parent = unique_address("alex")
    await record_consent(
        school.uow(), school.evidence(), "P1", parent, "form", date(2025, 3, 1), "o", NOW, FORM
    )
    runner = web.AppRunner(make_web_app(school, slack_app(school)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/slack/events"  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession() as http:
            command = slash_command_body(text=f"nti {b.UPN_1}", user_id="U1OFFICER")
            await http.post(url, data=command, headers=signed_headers(SECRET, command))
            [opened] = await slack_api.wait_for_calls("views.open")
            submit = view_submission_payload(
                "nti_issue",
                {
                    "improvement": {"value": {"type": "plain_text_input", "value": "Attend daily"}},
                    "max_further": {"value": {"type": "number_input", "value": "0"}},
                    "on": {"value": {"type": "datepicker", "selected_date": "2025-03-07"}},
                },
                private_metadata=opened.args["view"]["private_metadata"],
                user_id="U1OFFICER",
            )
            body = interaction_body(submit)
            await http.post(url, data=body, headers=signed_headers(SECRET, body))
            [told] = await slack_api.wait_for_calls("chat.postMessage")
    finally:
        await runner.cleanup()
    assert "Notice to Improve 1 issued" in str(told.args["text"])
    sender = Sender(school, SmtpServer.from_url(str(s.smtp_url)))
    try:
        assert (await sender.drain()).sent == 1
    finally:
        await sender.close()
    [arrived] = await mail_servers.wait_for(parent, 1)
    msg = message_from_bytes(arrived, policy=default)
    assert msg["Subject"].startswith("Notice to Improve")
    pdfs = [p for p in msg.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1 and pdfs[0].get_content().startswith(b"%PDF")
    assert json.loads(opened.args["view"]["private_metadata"]) == {"upn": b.UPN_1}
