"""The kinds of misreading issue 13 point 6 fixes, one fixture each (written here): enclosed
originals, headerless parts, the signs of a bounce, Amazon SES notifications, list mail."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest

from mail.classify import MailClass, classify

PARENT = "parent.one@home.example"


def _message(headers: str, body: str) -> bytes:
    return (headers.strip("\n") + "\n\n" + body).replace("\n", "\r\n").encode()


FORWARD_WITH_BROKEN_ENCLOSURE = _message(
    """
From: Parent One <parent.one@home.example>
To: attendance@school.example
Subject: Fwd: the letter
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"
""",
    """--outer
Content-Type: text/plain; charset=us-ascii

Please see the message below; we were away that week.

--outer
Content-Type: message/rfc822

From: Someone Else <other@example.net>
To: Zo\u00eb <zoe@example.net>
Subject: Holiday
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

%%% not base64 %%%
""",
)


def test_a_defect_inside_an_enclosed_original_does_not_make_the_reply_malformed() -> None:
    result = classify(FORWARD_WITH_BROKEN_ENCLOSURE)
    assert result.mail_class is MailClass.reply, result.reason


def test_the_same_defect_in_the_senders_own_part_still_does() -> None:
    own = FORWARD_WITH_BROKEN_ENCLOSURE.replace(
        b"Content-Type: text/plain; charset=us-ascii\r\n\r\nPlease",
        b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n%%Please",
    )
    assert classify(own).mail_class is MailClass.malformed


def test_a_body_part_without_headers_is_text_plain_not_malformed() -> None:
    raw = _message(
        """
From: Parent One <parent.one@home.example>
To: attendance@school.example
Subject: Re: meeting
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"
""",
        "--b\n\nThursday is fine for us.\n--b--\n",
    )
    result = classify(raw)
    assert result.mail_class is MailClass.reply, result.reason


@pytest.mark.parametrize(
    ("from_", "subject"),
    [
        ("mailer-daemon", "There was an error sending your mail"),
        ('"Mailer Daemon" <daemon@mx.example.net>', "Your message"),
        ('"Mail Delivery System" <system@mx.example.net>', "Notice"),
        ("Exim <exim@mx.example.net>", "Mail failure - rejected by recipient"),
        ("Gateway <gw@mx.example.net>", "email bounce notification"),
        ("Gateway <gw@mx.example.net>", "Undeliverable: Attendance meeting"),
    ],
)
def test_a_null_return_path_with_a_mail_system_sender_or_failure_subject_is_a_bounce(
    from_: str, subject: str
) -> None:
    raw = _message(
        f"Return-Path: <>\nFrom: {from_}\nTo: attendance@school.example\nSubject: {subject}",
        "Your message to parent.one@home.example was rejected: mailbox unavailable.\n",
    )
    assert classify(raw).mail_class is MailClass.bounce


def test_a_mail_system_quoting_an_smtp_failure_is_a_bounce_whatever_its_subject() -> None:
    raw = _message(
        "From: post_master@vtext.example\nTo: attendance@school.example\nSubject: Re:Test",
        "Error: Invalid user address\n\n550 - Requested action not taken: no such user here\n",
    )
    assert classify(raw).mail_class is MailClass.bounce


def test_a_parent_forwarding_a_bounce_is_a_reply() -> None:
    raw = _message(
        "From: Parent One <parent.one@home.example>\nTo: attendance@school.example\n"
        "Subject: Fwd: Undeliverable: Attendance meeting",
        "My other address bounced your letter, please use this one.\n",
    )
    assert classify(raw).mail_class is MailClass.reply


def _ses(notification: Mapping[str, object], wrapped: bool) -> bytes:
    body = json.dumps(notification)
    if wrapped:  # inside an SNS envelope, with the footer SNS adds to its emails
        body = json.dumps({"Type": "Notification", "Message": body}, indent=2)
        body += "\n\n--\nIf you wish to stop receiving notifications from this topic, ...\n"
    # Sendmail's split of a line over its limit: "!", a newline and a space
    body = body[:200] + "!\n " + body[200:]
    return _message(
        "From: SES-B <no-reply@sns.amazonaws.com>\nTo: attendance@school.example\n"
        "Subject: AWS Notification Message\nContent-Type: text/plain; charset=UTF-8",
        body,
    )


MAIL = {"messageId": "0101-ses", "commonHeaders": {"messageId": "<letter-42@school.example>"}}


@pytest.mark.parametrize("wrapped", [False, True])
def test_an_ses_bounce_notification_is_a_bounce_naming_the_recipient(wrapped: bool) -> None:
    bounce = {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": PARENT}]}
    result = classify(_ses({"notificationType": "Bounce", "bounce": bounce, "mail": MAIL}, wrapped))
    assert result.mail_class is MailClass.bounce
    assert result.failed_recipients == (PARENT,)
    assert result.original_message_id == "<letter-42@school.example>"
    assert not result.delayed and not result.delivered


def test_an_ses_transient_bounce_is_delayed_and_names_no_failure() -> None:
    bounce = {"bounceType": "Transient", "bouncedRecipients": [{"emailAddress": PARENT}]}
    result = classify(_ses({"notificationType": "Bounce", "bounce": bounce, "mail": MAIL}, True))
    assert (result.mail_class, result.delayed, result.failed_recipients) == (
        MailClass.bounce,
        True,
        (),
    )


def test_an_ses_delivery_notification_is_a_delivery_report() -> None:
    delivery = {"recipients": [PARENT], "smtpResponse": "250 2.6.0 accepted"}
    doc = {"notificationType": "Delivery", "delivery": delivery, "mail": MAIL}
    result = classify(_ses(doc, False))
    assert (result.mail_class, result.delivered) == (MailClass.bounce, True)


def test_an_ses_complaint_is_automatic_mail_not_a_reply() -> None:
    complaint = {"complainedRecipients": [{"emailAddress": PARENT}]}
    doc = {"notificationType": "Complaint", "complaint": complaint, "mail": MAIL}
    assert classify(_ses(doc, True)).mail_class is MailClass.auto_reply


LIST_REPLY = _message(
    """
Return-Path: <school-parents-bounces@lists.example.org>
From: Parent One <parent.one@home.example>
To: school-parents@lists.example.org
Subject: Re: [parents] term dates
Precedence: bulk
List-Id: <school-parents.lists.example.org>
""",
    "I agree with the last message: the inset day clashes.\n",
)


def test_precedence_bulk_on_a_persons_list_post_is_not_an_auto_reply() -> None:
    assert classify(LIST_REPLY).mail_class is MailClass.reply


def test_precedence_bulk_from_the_null_reverse_path_is_an_auto_reply() -> None:
    raw = LIST_REPLY.replace(b"<school-parents-bounces@lists.example.org>", b"<>")
    assert classify(raw).mail_class is MailClass.auto_reply


def test_auto_submitted_makes_a_list_post_an_auto_reply() -> None:
    raw = LIST_REPLY.replace(b"Precedence: bulk", b"Auto-Submitted: auto-replied")
    assert classify(raw).mail_class is MailClass.auto_reply
