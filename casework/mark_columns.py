"""A register file's marks held as columns, one list per field: a county's day is 500,000 marks,
and building, checking and staging one object per mark cost more than the checks themselves
(bench/README.md, "mark by month"). It still reads as a sequence of MarkRow where one is asked
for (the fakes, a correction's few rows)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import overload

from casework.records import MarkRow


@dataclass(frozen=True, eq=False)
class MarkColumns(Sequence[MarkRow]):
    lines: Sequence[int]  # each mark's line in its file (for the one-line errors)
    upn: Sequence[str]
    school_urn: Sequence[str]
    day: Sequence[date]
    session: Sequence[str]
    code: Sequence[str]

    @classmethod
    def numbered(cls, rows: Iterable[tuple[int, MarkRow]]) -> MarkColumns:
        """From (line, row) pairs, as a file read row by row gives them."""
        pairs = list(rows)
        return cls(
            [line for line, _ in pairs],
            [r.upn for _, r in pairs],
            [r.school_urn for _, r in pairs],
            [r.day for _, r in pairs],
            [r.session for _, r in pairs],
            [r.code for _, r in pairs],
        )

    @classmethod
    def of(cls, rows: Sequence[MarkRow]) -> MarkColumns:
        """These marks as columns (themselves when they already are)."""
        if isinstance(rows, MarkColumns):
            return rows
        return cls.numbered(enumerate(rows, start=1))

    def __len__(self) -> int:
        return len(self.upn)

    @overload
    def __getitem__(self, i: int) -> MarkRow: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[MarkRow]: ...
    def __getitem__(self, i: int | slice) -> MarkRow | Sequence[MarkRow]:
        if isinstance(i, slice):
            return list(self)[i]
        return MarkRow(self.upn[i], self.school_urn[i], self.day[i], self.session[i], self.code[i])

    def __iter__(self) -> Iterator[MarkRow]:
        return map(MarkRow, self.upn, self.school_urn, self.day, self.session, self.code)

    def numbered_rows(self) -> list[tuple[int, MarkRow]]:
        return list(zip(self.lines, self, strict=True))

    @cached_property
    def one_per_session(self) -> bool:
        """No session has two marks (so neither a repeat nor two schools' marks to combine)."""
        return len(set(zip(self.upn, self.day, self.session, strict=True))) == len(self)

    def days(self) -> set[date]:
        return set(self.day)
