"""A local stand-in for Slack's Web API, and requests signed the way Slack signs them.

`SlackStandIn` is an aiohttp server on 127.0.0.1 (a free port) in the test's own event loop. Point
slack_sdk at it with `AsyncWebClient(token=api.token, base_url=api.base_url)` (Bolt:
`AsyncApp(client=...)`). It serves `GET`/`POST /api/<method>` with arguments from the query
string, a form body or a JSON body, answering the documented JSON for:

- `auth.test`; `chat.postMessage`, `chat.update`, `chat.postEphemeral`;
  `conversations.open`, `conversations.history`, `conversations.replies`;
  `views.open`, `views.push`, `views.update`, `views.publish`;
  `files.getUploadURLExternal`, the upload URL it hands out (served here, `POST /upload/v1/<id>`,
  answering `text/plain` "OK - <length>" as files.slack.com does) and
  `files.completeUploadExternal`, so `files_upload_v2` works end to end;
- anything else: `{"ok": false, "error": "unknown_method"}`, unless `handle(method, fn)` adds it.

Behaviour worth knowing:

- Authentication: a `Bearer` token (or a `token` argument) must equal `token`
  (`token=None` accepts any). A wrong one answers `invalid_auth`, a missing one `not_authed`,
  as Slack does. The upload URL and response URLs need no token, as in Slack.
- Message timestamps come from the wall clock (`clock`), in microseconds, strictly increasing, so
  `oldest`/`latest` filters written with `time.time()` behave as against Slack.
- Posting to a user id (`U...`/`W...`) lands in the DM `"D" + user id`, the id
  `conversations.open` returns for that user.
- `conversations.history` lists top-level messages (and broadcast replies) newest first, honouring
  `oldest`, `latest`, `inclusive`, `limit` and `cursor`; `metadata` only with
  `include_all_metadata`. A shared file is a message too (with `files`, `upload: true`).
- Lenient where tests fabricate ids: `chat.update` of an unknown `ts` and `views.update` of an
  unknown `view_id` succeed and echo (Slack would answer `message_not_found` / `not_found`).
- Every request, faulted or not, is a `Call` in `calls`, in arrival order. Uploads are recorded as
  method `"upload"`, posts to `response_url()` URLs as method `"response_url"`.
- Arguments that Slack takes as JSON (`blocks`, `attachments`, `metadata`, `view`, `files`) are
  decoded when they arrive as strings in a form or query, so `Call.args` holds the structures.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import mimetypes
import time
import urllib.parse
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pytest
from aiohttp import web
from multidict import CIMultiDict

JSONDict = dict[str, Any]
Handler = Callable[[JSONDict], JSONDict]

HOST = "127.0.0.1"
DEFAULT_TOKEN = "xoxb-stand-in-token"
JSON_ARGS = frozenset({"blocks", "attachments", "metadata", "view", "files"})
# Where the builders send `response_url` unless told otherwise: local, and nothing listens there.
UNSERVED_RESPONSE_URL = "http://127.0.0.1:9/commands/T1/1/unserved"


class SlackError(Exception):
    """Raised by a method handler to answer `{"ok": false, "error": error}`."""

    def __init__(self, error: str, status: int = 200) -> None:
        super().__init__(error)
        self.error = error
        self.status = status


@dataclass
class Call:
    """One request the stand-in received, and what it answered."""

    method: str
    args: JSONDict
    headers: CIMultiDict[str]  # case-insensitive
    body: bytes
    status: int = 200
    response: JSONDict | None = None

    @property
    def ok(self) -> bool:
        """True when it answered `ok: true`."""
        return self.status == 200 and bool(self.response and self.response.get("ok"))


@dataclass
class Upload:
    """A file announced by files.getUploadURLExternal, its bytes, and where it was shared."""

    file_id: str
    filename: str
    length: int
    alt_txt: str | None = None
    data: bytes | None = None
    title: str | None = None
    completed: bool = False
    channels: list[str] = field(default_factory=list)
    initial_comment: str | None = None
    thread_ts: str | None = None


@dataclass
class _Fault:
    status: int
    error: str
    retry_after: int | None = None


def _ts_micros(ts: Any) -> int:
    try:
        return int(Decimal(str(ts)) * 1_000_000)
    except InvalidOperation as e:
        raise SlackError("invalid_ts_oldest") from e


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in {"1", "true"}


class SlackStandIn:
    """Slack's Web API on loopback: records calls, answers like Slack, injects faults."""

    def __init__(
        self,
        *,
        token: str | None = DEFAULT_TOKEN,
        team_id: str = "T1",
        team: str = "Stand-in School",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        app_id: str = "A0APP",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.team_id = team_id
        self.team = team
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.clock = clock
        self.calls: list[Call] = []
        self.uploads: dict[str, Upload] = {}
        self.shared: dict[str, bytes] = {}  # files users gave in a modal's file input
        self.views: dict[str, JSONDict] = {}
        self.ephemeral: list[JSONDict] = []
        self._history: dict[str, list[JSONDict]] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._handlers: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }
        self._opened: set[str] = set()
        self._home: dict[str, str] = {}
        self._last_us = 0
        self._ids = itertools.count(1)
        self._arrived = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # lifecycle

    @property
    def url(self) -> str:
        """The server's root, `http://127.0.0.1:PORT`."""
        return f"http://{HOST}:{self.port}"

    @property
    def base_url(self) -> str:
        """The Web API base for slack_sdk, `http://127.0.0.1:PORT/api/`."""
        return f"{self.url}/api/"

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._serve_api)
        app.router.add_post("/upload/v1/{file_id}", self._serve_upload)
        app.router.add_post("/response/{n}", self._serve_response_url)
        app.router.add_get("/files-pri/{file_id}/{name}", self._serve_shared_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SlackStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # configuration

    def handle(self, method: str, handler: Handler) -> None:
        """Answer `method` with `handler(args)` (`ok: true` is added unless it sets `ok`)."""
        self._handlers[method] = handler

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` calls to `method` with HTTP 429 and `Retry-After`."""
        queue = self._faults.setdefault(method, deque())
        queue.extend(_Fault(429, "ratelimited", retry_after) for _ in range(times))

    def fail(self, method: str, error: str, times: int = 1, *, status: int = 200) -> None:
        """Answer the next `times` calls to `method` with `{"ok": false, "error": error}`."""
        queue = self._faults.setdefault(method, deque())
        queue.extend(_Fault(status, error) for _ in range(times))

    def shared_file(self, name: str, data: bytes, mimetype: str = "") -> JSONDict:
        """A file a user gave in a modal's file input, as the view_submission's state carries
        it; its bytes are served at its `url_private_download` to the bot's token only."""
        file_id = f"F{next(self._ids):08d}"
        self.shared[file_id] = data
        url = f"{self.url}/files-pri/{self.team_id}-{file_id}/{urllib.parse.quote(name)}"
        guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return {
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": mimetype or guessed,
            "size": len(data),
            "url_private": url,
            "url_private_download": url + "?download=1",
        }

    def response_url(self) -> str:
        """A fresh response_url served here; posts to it are calls to `"response_url"`."""
        return f"{self.url}/response/{next(self._ids)}"

    # inspection

    def calls_to(self, method: str) -> list[Call]:
        """The calls to `method`, in arrival order."""
        return [c for c in self.calls if c.method == method]

    def posted(self, channel: str) -> list[JSONDict]:
        """Messages in `channel` (a user id means their DM), oldest first, replies included."""
        return list(self._history.get(self._channel_id(channel), []))

    async def wait_for_calls(self, method: str, count: int = 1, timeout: float = 10) -> list[Call]:
        """Wait until `count` calls to `method` have arrived; return them."""
        async with self._arrived:
            try:
                await asyncio.wait_for(
                    self._arrived.wait_for(lambda: len(self.calls_to(method)) >= count), timeout
                )
            except TimeoutError:
                got = len(self.calls_to(method))
                seen = sorted({c.method for c in self.calls})
                raise TimeoutError(
                    f"{got} of {count} calls to {method} within {timeout}s (methods seen: {seen})"
                ) from None
        return self.calls_to(method)

    # HTTP

    async def _record(self, call: Call) -> None:
        self.calls.append(call)
        async with self._arrived:
            self._arrived.notify_all()

    async def _serve_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await request.read()
        call = Call(method, {}, CIMultiDict(request.headers), body)
        try:
            call.args = await self._parse_args(request, body)
            status, payload, extra = self._answer(method, call.args, call.headers)
        except SlackError as e:
            status, payload, extra = e.status, {"ok": False, "error": e.error}, {}
        call.status, call.response = status, payload
        await self._record(call)
        return web.json_response(payload, status=status, headers=extra)

    async def _parse_args(self, request: web.Request, body: bytes) -> JSONDict:
        args: JSONDict = dict(request.query)
        if request.content_type == "application/json" and body:
            try:
                decoded = json.loads(body)
            except ValueError as e:
                raise SlackError("invalid_json") from e
            if not isinstance(decoded, dict):
                raise SlackError("invalid_json")
            args.update(decoded)
        elif body:
            form = await request.post()
            args.update({k: v for k, v in form.items() if isinstance(v, str)})
        for key in JSON_ARGS & args.keys():
            value = args[key]
            if isinstance(value, str) and value[:1] in ("[", "{"):
                try:
                    args[key] = json.loads(value)
                except ValueError as e:
                    raise SlackError(f"invalid_{key}") from e
        return args

    def _answer(
        self, method: str, args: JSONDict, headers: Mapping[str, str]
    ) -> tuple[int, JSONDict, dict[str, str]]:
        self._authenticate(args, headers)
        handler = self._handlers.get(method)
        if handler is None:
            raise SlackError("unknown_method")
        queue = self._faults.get(method)
        if queue:
            fault = queue.popleft()
            extra = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
            return fault.status, {"ok": False, "error": fault.error}, extra
        answer = handler(args)
        return 200, {"ok": True, **answer}, {}

    def _authenticate(self, args: JSONDict, headers: Mapping[str, str]) -> None:
        auth = headers.get("Authorization", "")
        if auth.startswith("Basic ") or args.get("client_secret"):
            return  # oauth.v2.access: the app's client id and secret, not a token
        token = auth[len("Bearer ") :].strip() if auth.startswith("Bearer ") else args.get("token")
        if not token:
            raise SlackError("not_authed")
        if self.token is not None and not hmac.compare_digest(str(token), self.token):
            raise SlackError("invalid_auth")

    async def _serve_upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        body = await request.read()
        call = Call("upload", {"file_id": file_id}, CIMultiDict(request.headers), body)
        upload = self.uploads.get(file_id)
        if upload is None:
            call.status, text = 404, "Not Found"
        else:
            upload.data = body
            call.status, text = 200, f"OK - {len(body)}"
        await self._record(call)
        return web.Response(status=call.status, text=text, content_type="text/plain")

    async def _serve_shared_file(self, request: web.Request) -> web.Response:
        """A file's bytes with the bot's token; without it Slack answers its sign-in page."""
        file_id = request.match_info["file_id"].rsplit("-", 1)[-1]
        call = Call("file_download", {"file_id": file_id}, CIMultiDict(request.headers), b"")
        try:
            self._authenticate({}, request.headers)
        except SlackError:
            call.status = 302
            await self._record(call)
            return web.Response(status=302, headers={"Location": f"{self.url}/signin"})
        data = self.shared.get(file_id)
        call.status = 200 if data is not None else 404
        await self._record(call)
        if data is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=data, content_type="application/octet-stream")

    async def _serve_response_url(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            args = json.loads(body) if body else {}
        except ValueError:
            args = {}
        args = args if isinstance(args, dict) else {"body": args}
        call = Call("response_url", args, CIMultiDict(request.headers), body)
        await self._record(call)
        return web.Response(text="ok", content_type="text/plain")

    # state

    def _next_ts(self) -> str:
        us = max(int(self.clock() * 1_000_000), self._last_us + 1)
        self._last_us = us
        return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def _channel_id(self, channel: str) -> str:
        return "D" + channel if channel[:1] in ("U", "W") else channel

    def _find(self, channel: str, ts: str) -> JSONDict | None:
        return next((m for m in self._history.get(channel, []) if m["ts"] == ts), None)

    def _message(self, args: JSONDict, ts: str) -> JSONDict:
        message: JSONDict = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "text": args.get("text") or "",
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "reply_broadcast"):
            if args.get(key) is not None:
                message[key] = args[key]
        if args.get("metadata") is not None:
            metadata = args["metadata"]
            if not isinstance(metadata, dict) or "event_type" not in metadata:
                raise SlackError("invalid_metadata_format")
            message["metadata"] = {
                "event_type": metadata["event_type"],
                "event_payload": metadata.get("event_payload", {}),
            }
        return message

    def _view(self, view: Any, view_id: str, root_view_id: str | None = None) -> JSONDict:
        if not isinstance(view, dict) or "type" not in view:
            raise SlackError("invalid_arguments")
        echoed: JSONDict = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{self._next_ts()}.{hashlib.sha1(view_id.encode()).hexdigest()[:8]}",
            "clear_on_close": view.get("clear_on_close", False),
            "notify_on_close": view.get("notify_on_close", False),
            "previous_view_id": None,
            "root_view_id": root_view_id or view_id,
            "app_id": self.app_id,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        for key in ("title", "close", "submit", "submit_disabled"):
            if key in view:
                echoed[key] = view[key]
        self.views[view_id] = echoed
        return echoed

    # methods

    def _auth_test(self, args: JSONDict) -> JSONDict:
        return {
            "url": f"https://{self.team_id.lower()}.slack.com/",
            "team": self.team,
            "user": "attendance-bot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, args: JSONDict) -> JSONDict:
        if not args.get("channel"):
            raise SlackError("channel_not_found")
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            raise SlackError("no_text")
        channel = self._channel_id(str(args["channel"]))
        message = self._message(args, self._next_ts())
        self._history.setdefault(channel, []).append(message)
        return {"channel": channel, "ts": message["ts"], "message": dict(message)}

    def _chat_update(self, args: JSONDict) -> JSONDict:
        if not args.get("channel"):
            raise SlackError("channel_not_found")
        if not args.get("ts"):
            raise SlackError("message_not_found")
        channel, ts = self._channel_id(str(args["channel"])), str(args["ts"])
        message = self._find(channel, ts)
        update = self._message(args, ts)
        if message is None:
            message = update
        else:
            for key in ("text", "blocks", "attachments", "metadata"):
                if key in update and (key == "text" or args.get(key) is not None):
                    message[key] = update[key]
            message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {"channel": channel, "ts": ts, "text": message["text"], "message": dict(message)}

    def _chat_post_ephemeral(self, args: JSONDict) -> JSONDict:
        if not args.get("channel"):
            raise SlackError("channel_not_found")
        if not args.get("user"):
            raise SlackError("user_not_in_channel")
        message = self._message(args, self._next_ts())
        message.update(channel=self._channel_id(str(args["channel"])), to_user=args["user"])
        self.ephemeral.append(message)
        return {"message_ts": message["ts"]}

    def _conversations_open(self, args: JSONDict) -> JSONDict:
        if args.get("channel"):
            channel = str(args["channel"])
        elif args.get("users"):
            users = [u.strip() for u in str(args["users"]).split(",") if u.strip()]
            channel = "D" + users[0] if len(users) == 1 else "G" + "".join(sorted(users))
        else:
            raise SlackError("users_list_not_supplied")
        answer: JSONDict = {"channel": {"id": channel}}
        if channel in self._opened:
            answer.update(no_op=True, already_open=True)
        self._opened.add(channel)
        return answer

    def _listing(self, messages: list[JSONDict], args: JSONDict) -> JSONDict:
        metadata = _truthy(args.get("include_all_metadata"))
        try:
            limit = int(args.get("limit") or 100)
            cursor = base64.b64decode(str(args.get("cursor") or "")).decode()
            start = int(cursor.removeprefix("offset:") or 0)
        except ValueError as e:
            raise SlackError("invalid_cursor") from e
        page = messages[start : start + limit]
        more = start + limit < len(messages)
        cursor = base64.b64encode(f"offset:{start + limit}".encode()).decode() if more else ""
        return {
            "messages": [{k: v for k, v in m.items() if metadata or k != "metadata"} for m in page],
            "has_more": more,
            "response_metadata": {"next_cursor": cursor},
        }

    def _in_window(self, args: JSONDict) -> Callable[[JSONDict], bool]:
        oldest = _ts_micros(args.get("oldest") or 0)
        latest = _ts_micros(args["latest"]) if args.get("latest") else None
        inclusive = _truthy(args.get("inclusive"))

        def within(message: JSONDict) -> bool:
            ts = _ts_micros(message["ts"])
            if ts < oldest or (ts == oldest and not inclusive):
                return False
            return latest is None or ts < latest or (ts == latest and inclusive)

        return within

    def _conversations_history(self, args: JSONDict) -> JSONDict:
        if not args.get("channel"):
            raise SlackError("channel_not_found")
        channel = self._channel_id(str(args["channel"]))
        within = self._in_window(args)
        messages = [
            self._with_replies(m, channel)
            for m in reversed(self._history.get(channel, []))
            if within(m) and (m.get("thread_ts", m["ts"]) == m["ts"] or m.get("reply_broadcast"))
        ]
        return {"pin_count": 0, **self._listing(messages, args)}

    def _with_replies(self, message: JSONDict, channel: str) -> JSONDict:
        replies = [
            m
            for m in self._history.get(channel, [])
            if m.get("thread_ts") == message["ts"] and m["ts"] != message["ts"]
        ]
        if not replies:
            return message
        return {
            **message,
            "thread_ts": message["ts"],
            "reply_count": len(replies),
            "latest_reply": replies[-1]["ts"],
        }

    def _conversations_replies(self, args: JSONDict) -> JSONDict:
        channel = self._channel_id(str(args.get("channel") or ""))
        ts = str(args.get("ts") or "")
        parent = self._find(channel, ts)
        if parent is None:
            raise SlackError("thread_not_found")
        within = self._in_window(args)
        replies = [m for m in self._history[channel] if m.get("thread_ts") == ts and m["ts"] != ts]
        messages = [self._with_replies(parent, channel)] + [m for m in replies if within(m)]
        return self._listing(messages, args)

    def _views_open(self, args: JSONDict) -> JSONDict:
        if not args.get("trigger_id") and not args.get("interactivity_pointer"):
            raise SlackError("invalid_arguments")
        return {"view": self._view(args.get("view"), self._new_id("V"))}

    def _views_update(self, args: JSONDict) -> JSONDict:
        view_id = args.get("view_id")
        if not view_id and args.get("external_id"):
            view_id = next(
                (i for i, v in self.views.items() if v["external_id"] == args["external_id"]),
                None,
            )
            if view_id is None:
                raise SlackError("not_found")
        if not view_id:
            raise SlackError("invalid_arguments")
        old = self.views.get(str(view_id))
        if old is not None and args.get("hash") and args["hash"] != old["hash"]:
            raise SlackError("hash_conflict")
        root = old["root_view_id"] if old is not None else None
        return {"view": self._view(args.get("view"), str(view_id), root)}

    def _views_publish(self, args: JSONDict) -> JSONDict:
        user_id = args.get("user_id")
        if not user_id:
            raise SlackError("invalid_arguments")
        view_id = self._home.setdefault(str(user_id), self._new_id("V"))
        old = self.views.get(view_id)
        if old is not None and args.get("hash") and args["hash"] != old["hash"]:
            raise SlackError("hash_conflict")
        return {"view": self._view(args.get("view"), view_id)}

    def _files_get_upload_url(self, args: JSONDict) -> JSONDict:
        if not args.get("filename") or not str(args.get("length") or "").isdigit():
            raise SlackError("invalid_arguments")
        upload = Upload(
            file_id=self._new_id("F"),
            filename=str(args["filename"]),
            length=int(args["length"]),
            alt_txt=args.get("alt_txt"),
        )
        self.uploads[upload.file_id] = upload
        return {"upload_url": f"{self.url}/upload/v1/{upload.file_id}", "file_id": upload.file_id}

    def _files_complete_upload(self, args: JSONDict) -> JSONDict:
        items = args.get("files")
        if not isinstance(items, list) or not items:
            raise SlackError("invalid_arguments")
        uploads = []
        for item in items:
            upload = self.uploads.get(str(item.get("id")))
            if upload is None or upload.data is None:
                raise SlackError("file_not_found")
            uploads.append((upload, item))
        channels = [c for c in str(args.get("channels") or "").split(",") if c]
        if args.get("channel_id"):
            channels.insert(0, str(args["channel_id"]))
        channels = [self._channel_id(c) for c in channels]
        files = []
        for upload, item in uploads:
            upload.title = item.get("title") or upload.filename
            upload.completed = True
            upload.channels = channels
            upload.initial_comment = args.get("initial_comment")
            upload.thread_ts = args.get("thread_ts")
            files.append(self._file(upload))
        for channel in channels:
            message = self._message(
                {"text": args.get("initial_comment"), "thread_ts": args.get("thread_ts")},
                self._next_ts(),
            )
            message.update(files=files, upload=True, display_as_bot=False)
            self._history.setdefault(channel, []).append(message)
        return {"files": files}

    def _file(self, upload: Upload) -> JSONDict:
        assert upload.data is not None
        mimetype = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
        name = urllib.parse.quote(upload.filename)
        stem, dot, ext = upload.filename.rpartition(".")
        return {
            "id": upload.file_id,
            "created": int(self.clock()),
            "timestamp": int(self.clock()),
            "name": upload.filename,
            "title": upload.title,
            "mimetype": mimetype,
            "filetype": ext.lower() if dot and stem else "",
            "user": self.bot_user_id,
            "size": len(upload.data),
            "alt_txt": upload.alt_txt,
            "channels": [c for c in upload.channels if c[:1] == "C"],
            "groups": [c for c in upload.channels if c[:1] == "G"],
            "ims": [c for c in upload.channels if c[:1] == "D"],
            "url_private": f"{self.url}/files-pri/{self.team_id}-{upload.file_id}/{name}",
            "permalink": f"{self.url}/files/{self.bot_user_id}/{upload.file_id}/{name}",
        }


@pytest.fixture
async def slack_api() -> AsyncIterator[SlackStandIn]:
    """A started SlackStandIn, stopped after the test."""
    async with SlackStandIn() as stand_in:
        yield stand_in


# Requests Slack sends to the app


async def end_lazy_answers() -> None:
    """Cancel Bolt's lazy listeners still running on this loop and wait for them to stop.

    An app built without serve's answer loop (`slack_app(app)`) runs each command's answer as a
    bare task here: a test that only looks at the ack leaves its answer mid-query, and an engine
    disposed under it keeps that connection in a pool nothing refers to, collected (still open,
    a ResourceWarning) in whichever later test the collector happens to run. Called before the
    App is closed."""
    running = [
        t
        for t in asyncio.all_tasks()
        if getattr(t.get_coro(), "__qualname__", "") == "to_runnable_function"
    ]
    for task in running:
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)


def signed_headers(
    signing_secret: str,
    body: bytes,
    timestamp: int | None = None,
    *,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    """Headers Slack sends with `body`: its timestamp and `v0=` HMAC-SHA256 signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }


def slash_command_body(
    command: str = "/attendance",
    text: str = "",
    *,
    user_id: str = "U1",
    user_name: str = "teacher",
    channel_id: str = "C1",
    channel_name: str = "attendance",
    team_id: str = "T1",
    team_domain: str = "school",
    api_app_id: str = "A0APP",
    trigger_id: str = "13345224609.738474920.8088930838d88f008e0",
    response_url: str = UNSERVED_RESPONSE_URL,
) -> bytes:
    """A slash command as Slack posts it (application/x-www-form-urlencoded)."""
    fields = {
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",  # the deprecated verification token
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }
    return urllib.parse.urlencode(fields).encode()


def interaction_body(payload: Mapping[str, Any]) -> bytes:
    """An interaction (block_actions, view_submission, ...) as Slack posts it: `payload=<json>`."""
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def _user(user_id: str, team_id: str) -> JSONDict:
    return {"id": user_id, "username": "teacher", "name": "teacher", "team_id": team_id}


def block_actions_payload(
    action_id: str,
    value: str = "",
    *,
    block_id: str = "actions",
    user_id: str = "U1",
    channel_id: str = "C1",
    team_id: str = "T1",
    message_ts: str = "1700000000.000100",
    message: JSONDict | None = None,
    trigger_id: str = "13345224609.738474920.8088930838d88f008e0",
    response_url: str = UNSERVED_RESPONSE_URL,
    api_app_id: str = "A0APP",
) -> JSONDict:
    """A button click on a message, as the `payload` of a block_actions request."""
    return {
        "type": "block_actions",
        "user": _user(user_id, team_id),
        "api_app_id": api_app_id,
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": trigger_id,
        "team": {"id": team_id, "domain": "school"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "attendance"},
        "message": message or {"type": "message", "ts": message_ts, "text": "", "blocks": []},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": action_id, "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": f"{int(time.time())}.000000",
            }
        ],
    }


def view_submission_payload(
    callback_id: str,
    values: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    private_metadata: str = "",
    view_id: str = "V00000001",
    user_id: str = "U1",
    team_id: str = "T1",
    trigger_id: str = "13345224609.738474920.8088930838d88f008e0",
    api_app_id: str = "A0APP",
) -> JSONDict:
    """A modal submission, as the `payload` of a view_submission request.

    `values` is `{block_id: {action_id: state}}`, e.g.
    `{"reason": {"reason_input": {"type": "plain_text_input", "value": "ill"}}}`.
    """
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "school"},
        "user": _user(user_id, team_id),
        "api_app_id": api_app_id,
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "trigger_id": trigger_id,
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "blocks": [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": {k: dict(v) for k, v in (values or {}).items()}},
            "hash": "1700000000.abcdef01",
            "title": {"type": "plain_text", "text": "Attendance", "emoji": True},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": None,
            "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": api_app_id,
            "external_id": "",
            "app_installed_team_id": team_id,
            "bot_id": "B0BOT",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
