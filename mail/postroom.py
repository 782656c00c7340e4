"""The mail adapter's face to the use cases: a rendered letter becomes the exact bytes of an
email (mail/compose.py) or a printable PDF (documents/pdf.py)."""

from __future__ import annotations

from datetime import datetime

from casework.letters import Letter
from casework.sending import Printable
from mail.compose import Attachment, Composed, Outgoing, compose
from mail.dkim_signing import DkimSigner


class Postroom:
    def __init__(self, from_address: str, signer: DkimSigner | None = None) -> None:
        self.from_address = from_address
        self.signer = signer

    def email(
        self,
        letter: Letter,
        from_name: str,
        to_name: str,
        to_address: str,
        now: datetime,
        attachment: Printable | None,
    ) -> Composed:
        attachments: tuple[Attachment, ...] = ()
        if attachment is not None:
            maintype, _, subtype = attachment.media_type.partition("/")
            attachments = (Attachment(attachment.filename, attachment.content, maintype, subtype),)
        out = Outgoing(
            from_name,
            self.from_address,
            to_name,
            to_address,
            letter.subject,
            letter.text,
            letter.html,
            attachments,
        )
        composed = compose(out, now)
        return self.signer.sign(composed) if self.signer else composed

    def printable(self, letter: Letter, name: str, now: datetime) -> Printable:
        from documents.pdf import letter_pdf  # WeasyPrint takes ~0.6 s to load: only to print

        return Printable(letter_pdf(letter.html, letter.subject, now), "application/pdf", name)
