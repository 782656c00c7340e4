"""A day's notice changes in one UPDATE per set of fields changed together (executemany), not
one per notice: the daily review ends, breaches and re-plans a county's notices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlmodel.ext.asyncio.session import AsyncSession

from casework.notice_changes import NoticeChange
from store.tables import Notice

_NOTICES: Table = Notice.__table__  # type: ignore[attr-defined]
# Not a column's name: the SET clause's parameters are named after the columns.
_ID = "changed_notice_id"


def merged(changes: Sequence[NoticeChange]) -> dict[int, dict[str, Any]]:
    """Each notice's fields after all its changes, as applying them one by one leaves them."""
    found: dict[int, dict[str, Any]] = {}
    for change in changes:
        found.setdefault(change.notice_id, {}).update(change.fields)
    return found


async def change_notices(session: AsyncSession, changes: Sequence[NoticeChange]) -> None:
    notices = merged(changes)
    if not notices:
        return
    by_fields: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for notice_id, fields in notices.items():
        by_fields.setdefault(tuple(sorted(fields)), []).append({_ID: notice_id, **fields})
    await session.flush()  # a notice added in this unit of work is there to change
    conn = await session.connection()
    statement = update(_NOTICES).where(_NOTICES.c.id == bindparam(_ID))
    for rows in by_fields.values():
        await conn.execute(statement, rows)
    # Rows the session already holds as objects are read again when next asked for.
    for held in list(session.sync_session.identity_map.values()):
        if isinstance(held, Notice) and held.id in notices:
            session.expire(held)
