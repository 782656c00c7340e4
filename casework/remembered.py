"""A unit of work that answers the same read once: a batch of letters asks for the same school,
its contact, the LA's rules and the sending member of staff for every pupil, and each pupil's
case log three times. Only for reads done before the batch writes anything (casework.bulk_letters
reads and renders every letter first), so nothing remembered can be stale."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from casework.ports import UnitOfWork

READS = {
    "registry": ("pupil", "school", "school_contact", "recorded_rules", "calendar"),
    "cases": ("entries", "notices"),
    "chat": ("staff", "all_staff"),
}


class _Remembering:
    """A repository whose named reads are answered once per argument list; the rest pass."""

    def __init__(self, inner: object, reads: tuple[str, ...]) -> None:
        self._inner, self._reads = inner, reads
        self._memo: dict[tuple[object, ...], object] = {}

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name not in self._reads:
            return attr
        read = cast(Callable[..., Awaitable[object]], attr)

        async def once(*args: object, **kwargs: object) -> object:
            key = (name, args, tuple(sorted(kwargs.items())))
            if key not in self._memo:
                self._memo[key] = await read(*args, **kwargs)
            return self._memo[key]

        return once


class _RememberingUow:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._parts = {
            name: _Remembering(getattr(uow, name), reads) for name, reads in READS.items()
        }

    def __getattr__(self, name: str) -> Any:
        return self._parts.get(name) or getattr(self._uow, name)


def remembering(uow: UnitOfWork) -> UnitOfWork:
    """`uow`'s reads named in READS remembered; use it only until the first write."""
    return cast(UnitOfWork, _RememberingUow(uow))
