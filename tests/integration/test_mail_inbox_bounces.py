"""`mail inbox --json` names who each bounce says did not get the message (issue 13 point 6):
a Postfix DSN and an Amazon SES bounce notification sent through SNS, filed through the CLI."""

from __future__ import annotations

import json
from email import message_from_bytes
from email.policy import default

from tests import builders as b
from tests.integration.test_cli import Cli, cli, seeded  # noqa: F401  (fixtures)
from tests.integration.test_mail_cli import PARENT, _raw, consent, drop_in_inbox


def _dsn(to: str, original_id: str) -> bytes:
    return (
        "Return-Path: <>\r\n"
        "From: MAILER-DAEMON@mx.example.org (Mail Delivery System)\r\n"
        f"To: {to}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-1@mx.example.org>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n"
        f"\r\nFinal-Recipient: rfc822; {PARENT.upper()}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {original_id}\r\nTo: {PARENT}\r\n--B--\r\n"
    ).encode()


def _ses_bounce(to: str, original_id: str) -> bytes:
    inner = json.dumps(
        {
            "notificationType": "Bounce",
            "bounce": {
                "bounceType": "Permanent",
                "bouncedRecipients": [{"emailAddress": PARENT, "status": "5.1.1"}],
            },
            "mail": {"commonHeaders": {"messageId": original_id, "to": [PARENT]}},
        }
    )
    envelope = json.dumps({"Type": "Notification", "Message": inner}, indent=2)
    return (
        "Return-Path: <0101@us-west-2.amazonses.com>\r\n"
        "From: SES bounces <no-reply@sns.amazonaws.com>\r\n"
        f"To: {to}\r\nSubject: AWS Notification Message\r\nMessage-ID: <ses-1@example.org>\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\n\r\n"
        f"{envelope}\r\n\r\n--\r\nIf you wish to stop receiving notifications from this topic,"
        " please click or visit the link below to unsubscribe:\r\n"
    ).encode()


def test_mail_inbox_json_gives_each_bounces_failed_recipients(cli: Cli) -> None:  # noqa: F811
    consent(cli)
    sent = json.loads(cli("letter", "send", "initial_concern", b.UPN_1, "--json").stdout)
    original = message_from_bytes(_raw(cli, sent["parents"][0]["message_id"]), policy=default)
    to, original_id = str(original["Reply-To"]), str(original["Message-ID"])
    drop_in_inbox(cli, _dsn(to, original_id))
    drop_in_inbox(cli, _ses_bounce(to, original_id))
    drop_in_inbox(cli, b"From: stranger@example.net\r\nSubject: hello\r\n\r\nhi\r\n")
    done = cli("mail", "ingest", "--once", "--json")
    assert done.returncode == 0, done.stderr

    messages = json.loads(cli("mail", "inbox", "--json").stdout)["messages"]
    assert [(m["class"], m["upn"], m["failed_recipients"]) for m in messages] == [
        ("bounce", b.UPN_1, [PARENT]),
        ("bounce", b.UPN_1, [PARENT]),
        ("reply", None, []),
    ]
