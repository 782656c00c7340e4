"""Who is at the case pages: a one-time sign-in link (`staff link ID`, 15 minutes, once) opens a
session that ends after 8 hours idle or on signing out. Every step is audited."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from casework.errors import NotFound, Refused
from casework.ports import UnitOfWork
from casework.records import StaffRecord
from casework.session_records import SignInLink, WebSession

LINK_LIFETIME = timedelta(minutes=15)
IDLE_LIMIT = timedelta(hours=8)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def sign_in_link(uow: UnitOfWork, staff_id: str, by: str, now: datetime) -> str:
    """A new one-time token for `staff_id` (the secret: only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    async with uow:
        member = await uow.chat.staff(staff_id)
        if member is None:
            raise NotFound(f"no staff member {staff_id}: add them with `supportfirst staff add`")
        link = SignInLink(
            token_sha256=token_hash(token),
            staff_id=staff_id,
            expires_at=now + LINK_LIFETIME,
            created_by=by,
        )
        await uow.sessions.add_link(link)
        details = {"staff_id": staff_id, "expires_at": link.expires_at.isoformat()}
        await uow.audit.append(by, "web.link_issued", f"staff:{staff_id}", details, now)
        await uow.commit()
    return token


async def redeem_link(uow: UnitOfWork, token: str, now: datetime) -> tuple[str, WebSession]:
    """Use the link up and open a session: (the session's secret token, the session)."""
    async with uow:
        link = await uow.sessions.take_link(token_hash(token), now)
        if link is None or await uow.chat.staff(link.staff_id) is None:
            await uow.commit()  # a used link stays used even when the staff member has gone
            raise Refused("this sign-in link is not valid: it was used, or it expired")
        opened = await _open_session(uow, link.staff_id, "link", now)
        await uow.commit()
    return opened


async def _open_session(
    uow: UnitOfWork, staff_id: str, how: str, now: datetime
) -> tuple[str, WebSession]:
    secret = secrets.token_urlsafe(32)
    session = WebSession(
        token_sha256=token_hash(secret),
        staff_id=staff_id,
        csrf_token=secrets.token_urlsafe(24),
        created_at=now,
        last_seen_at=now,
        how=how,
    )
    await uow.sessions.open(session)
    await uow.audit.append(staff_id, "web.signed_in", f"staff:{staff_id}", {"how": how}, now)
    return secret, session


async def sign_in_by_email(
    uow: UnitOfWork, email: str, issuer: str, now: datetime
) -> tuple[str, WebSession]:
    """Open a session for the member of staff with this email, which the school's identity
    provider has vouched for (OpenID Connect); refused, and audited, when no one has it."""
    wanted = email.strip().lower()
    async with uow:
        found = [m for m in await uow.chat.all_staff() if m.email.strip().lower() == wanted]
        if len(found) != 1:
            why = "no member of staff has" if not found else "more than one member of staff has"
            await _refused(uow, wanted, f"{why} this email", now)
            await uow.commit()
            raise Refused(
                f"{why} the email {wanted}: ask an administrator to record it with "
                "`supportfirst staff add … --email`"
            )
        opened = await _open_session(uow, found[0].id, f"oidc:{issuer}", now)
        await uow.commit()
    return opened


async def _refused(uow: UnitOfWork, who: str, why: str, now: datetime) -> None:
    await uow.audit.append(who or "unknown", "web.sign_in_refused", "web", {"why": why}, now)


async def sign_in_refused(uow: UnitOfWork, who: str, why: str, now: datetime) -> None:
    """A sign-in the provider's answer did not allow is audited: who tried (if known), why."""
    async with uow:
        await _refused(uow, who, why, now)
        await uow.commit()


async def current_staff(
    uow: UnitOfWork, secret: str | None, now: datetime
) -> tuple[StaffRecord, WebSession] | None:
    """The member of staff behind a session cookie, when the session is live (it is kept
    alive by use); None when there is none, it idled out, or the staff member was removed."""
    if not secret:
        return None
    async with uow:
        session = await uow.sessions.find(token_hash(secret))
        if session is None:
            return None
        member = await uow.chat.staff(session.staff_id)
        if member is None or now - session.last_seen_at > IDLE_LIMIT:
            await uow.sessions.close(session.token_sha256)
            await uow.commit()
            return None
        await uow.sessions.touch(session.token_sha256, now)
        await uow.commit()
    return member, session


async def sign_out(uow: UnitOfWork, secret: str, now: datetime) -> None:
    async with uow:
        session = await uow.sessions.find(token_hash(secret))
        if session is not None:
            await uow.sessions.close(session.token_sha256)
            who = session.staff_id
            await uow.audit.append(who, "web.signed_out", f"staff:{who}", {}, now)
            await uow.commit()
