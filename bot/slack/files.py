"""A file a user gave in a modal (Slack's file input): its bytes, fetched from Slack with the
bot's token, and only from Slack (the token never goes to a host a payload names)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

MAX_FILE_BYTES = 10 * 1024 * 1024  # a parent's letter or a scan of it; more is not a request
SLACK_FILES_HOST = "files.slack.com"


class FileNotRead(Exception):
    """The file could not be fetched; the message says why, for the user."""


def _trusted(url: str, client: AsyncWebClient) -> bool:
    """Slack's file host, or the host the client talks to (a local Web API in tests)."""
    where, api = urlsplit(url), urlsplit(client.base_url)
    return (
        where.scheme == "https"
        and where.hostname == SLACK_FILES_HOST
        or ((where.scheme, where.netloc) == (api.scheme, api.netloc))
    )


async def shared_file(client: AsyncWebClient, file: dict[str, Any]) -> tuple[str, bytes]:
    """The name and bytes of one file from a file input's submission."""
    url = str(file.get("url_private_download") or file.get("url_private") or "")
    name = str(file.get("name") or file.get("id") or "request")
    if not _trusted(url, client):
        raise FileNotRead(f"{name} is not a file stored in Slack")
    if int(file.get("size") or 0) > MAX_FILE_BYTES:
        raise FileNotRead(f"{name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    headers = {"Authorization": f"Bearer {client.token}"}
    timeout = aiohttp.ClientTimeout(total=30)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as http,
            http.get(url, headers=headers, allow_redirects=False) as r,
        ):
            if r.status != 200:
                raise FileNotRead(f"Slack answered {r.status} for {name}")
            data = await r.content.read(MAX_FILE_BYTES + 1)
    except (aiohttp.ClientError, TimeoutError) as e:
        raise FileNotRead(f"{name} could not be fetched from Slack ({type(e).__name__})") from e
    if len(data) > MAX_FILE_BYTES:
        raise FileNotRead(f"{name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    return name, data
