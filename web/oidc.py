"""Signing in with the school's own accounts (Microsoft Entra ID, Google Workspace) by OpenID
Connect: the authorisation code flow with PKCE (S256), a nonce and a state, and the ID token's
signature checked against the provider's published keys (JWKS) before any claim is believed.

Discovery and the keys are fetched on first use and cached; the keys are fetched again once
when a token names a key id not seen (the provider rotated its keys)."""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import quote_plus, urlencode

import aiohttp
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

LEEWAY = 120  # seconds of clock difference allowed between us and the provider


class OidcRefused(Exception):
    """The provider's answer cannot be believed or used; the message says why, in one line."""


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str


def code_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class OidcClient:
    settings: OidcSettings
    _config: dict[str, Any] | None = None
    _keys: KeySet | None = None
    _timeout: aiohttp.ClientTimeout = field(default_factory=lambda: aiohttp.ClientTimeout(10))

    async def _get(self, url: str) -> dict[str, Any]:
        async with aiohttp.ClientSession(timeout=self._timeout) as s, s.get(url) as r:
            if r.status != 200:
                raise OidcRefused(f"the sign-in provider answered {r.status} for {url}")
            data: dict[str, Any] = await r.json(content_type=None)
            return data

    async def config(self) -> dict[str, Any]:
        if self._config is None:
            issuer = self.settings.issuer.rstrip("/")
            found = await self._get(f"{issuer}/.well-known/openid-configuration")
            if found.get("issuer", "").rstrip("/") != issuer:  # OpenID Connect Discovery 4.3
                raise OidcRefused(f"the provider says its issuer is {found.get('issuer')!r}")
            self._config = found
        return self._config

    async def authorize_url(self, state: str, nonce: str, verifier: str) -> str:
        endpoint = (await self.config())["authorization_endpoint"]
        query = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": self.settings.redirect_uri,
            "scope": "openid email profile",
            "state": state,
            "nonce": nonce,
            "code_challenge": code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        return f"{endpoint}?{urlencode(query)}"

    async def id_token(self, code: str, verifier: str) -> str:
        """Exchange the code (with the PKCE verifier, client_secret_basic) for the ID token."""
        endpoint = (await self.config())["token_endpoint"]
        # client_secret_basic: each part form-encoded first (RFC 6749 2.3.1)
        basic = aiohttp.BasicAuth(
            quote_plus(self.settings.client_id), quote_plus(self.settings.client_secret)
        )
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.settings.redirect_uri,
            "code_verifier": verifier,
        }
        async with (
            aiohttp.ClientSession(timeout=self._timeout) as s,
            s.post(endpoint, data=form, headers={"Authorization": basic.encode()}) as r,
        ):
            body: dict[str, Any] = await r.json(content_type=None)
        if r.status != 200 or "id_token" not in body:
            raise OidcRefused(
                f"the provider refused the sign-in code: {body.get('error', r.status)}"
            )
        return str(body["id_token"])

    async def _key_set(self, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            published = await self._get((await self.config())["jwks_uri"])
            self._keys = KeySet.import_key_set(cast(Any, published))
        return self._keys

    async def verified_claims(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims once its signature, issuer, audience, times and nonce hold."""
        try:
            try:
                token = jwt.decode(id_token, await self._key_set(), algorithms=["RS256", "ES256"])
            except JoseError:  # perhaps rotated keys: fetch them once more
                token = jwt.decode(
                    id_token, await self._key_set(True), algorithms=["RS256", "ES256"]
                )
            claims: dict[str, Any] = dict(token.claims)
            jwt.JWTClaimsRegistry(
                now=int(time.time()),
                leeway=LEEWAY,
                iss={"essential": True, "value": (await self.config())["issuer"]},
                aud={"essential": True, "value": self.settings.client_id},
                exp={"essential": True},
                iat={"essential": True},
                nonce={"essential": True, "value": nonce},
            ).validate(claims)
        except JoseError as e:
            raise OidcRefused(f"the sign-in token is not valid ({e.error}: {e.description})") from e
        aud = claims.get("aud")
        if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != self.settings.client_id:
            raise OidcRefused("the sign-in token was issued to another application (azp)")
        return claims


def staff_email(claims: dict[str, Any]) -> str | None:
    """The address to match staff by: `email` unless the provider says it is unverified
    (Google sends `email_verified`); Entra ID may send only `preferred_username`."""
    email = claims.get("email")
    if isinstance(email, str) and "@" in email and claims.get("email_verified") is not False:
        return email.strip().lower()
    name = claims.get("preferred_username")
    if email is None and isinstance(name, str) and "@" in name:
        return name.strip().lower()
    return None
