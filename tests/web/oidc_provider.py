"""A local OpenID Connect provider stand-in (as Entra ID or Google Workspace behave): discovery,
an authorisation endpoint that signs in `user` at once, a token endpoint that checks the client's
secret, the code and its PKCE verifier, and a JWKS; ID tokens are real RS256 JWTs.

`tamper` makes the next ID token wrong in one way ("nonce", "aud", "iss", "expired", "key"), to
prove the service checks each."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from aiohttp.test_utils import TestServer
from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID, CLIENT_SECRET = "supportfirst-test", "s3cret-for-tests"


@dataclass
class Provider:
    user: dict[str, Any] = field(default_factory=lambda: {"email": "dee@school.example"})
    tamper: str | None = None
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"kid": "k1"}))
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    token_requests: int = 0
    server: TestServer | None = None

    @property
    def issuer(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self._discovery)
        app.router.add_get("/authorize", self._authorize)
        app.router.add_post("/token", self._token)
        app.router.add_get("/jwks", self._jwks)
        return app

    async def _discovery(self, _r: web.Request) -> web.Response:
        i = self.issuer
        return web.json_response(
            {
                "issuer": i,
                "authorization_endpoint": f"{i}/authorize",
                "token_endpoint": f"{i}/token",
                "jwks_uri": f"{i}/jwks",
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    async def _authorize(self, r: web.Request) -> web.Response:
        q = r.query
        if q.get("client_id") != CLIENT_ID or q.get("response_type") != "code":
            return web.Response(status=400, text="bad client or response type")
        if q.get("code_challenge_method") != "S256" or "openid" not in q.get("scope", ""):
            return web.Response(status=400, text="PKCE S256 and the openid scope are required")
        code = secrets.token_urlsafe(16)
        self.codes[code] = {k: q[k] for k in ("redirect_uri", "nonce", "code_challenge")}
        target = f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}"
        raise web.HTTPFound(target)

    async def _token(self, r: web.Request) -> web.Response:
        self.token_requests += 1
        form = await r.post()
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if r.headers.get("Authorization") != f"Basic {basic}":
            return web.json_response({"error": "invalid_client"}, status=401)
        grant = self.codes.pop(str(form.get("code")), None)
        if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
            return web.json_response({"error": "invalid_grant"}, status=400)
        verifier = str(form.get("code_verifier", ""))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if challenge.rstrip(b"=").decode() != grant["code_challenge"]:
            return web.json_response({"error": "invalid_grant", "why": "PKCE"}, status=400)
        return web.json_response(
            {"id_token": self._id_token(grant["nonce"]), "token_type": "Bearer"}
        )

    def _id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": "user-1",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            **self.user,
        }
        key = self.key
        wrong, self.tamper = self.tamper, None
        if wrong == "nonce":
            claims["nonce"] = "another"
        elif wrong == "aud":
            claims["aud"] = "someone-else"
        elif wrong == "iss":
            claims["iss"] = "https://evil.example"
        elif wrong == "expired":
            claims["exp"] = now - 600
        elif wrong == "key":
            key = RSAKey.generate_key(2048, {"kid": "k1"})  # same kid, not the published key
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)

    async def _jwks(self, _r: web.Request) -> web.Response:
        return web.json_response({"keys": [self.key.as_dict(private=False)]})


async def start(provider: Provider) -> Provider:
    provider.server = TestServer(provider.app(), host="127.0.0.1")
    await provider.server.start_server()
    return provider
