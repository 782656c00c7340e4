"""mail.classify against the held-out corpus (tests/data/heldout, issue 13 point 6): every class
at least 97 % right on the development half, the test half and the whole, with the confusion
printed (pytest -s, or on failure)."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from mail.classify import MailClass, classify

HELDOUT = Path(__file__).resolve().parents[1] / "data" / "heldout"
GOAL = 0.97


def _rows() -> list[dict[str, str]]:
    with (HELDOUT / "INDEX.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _confusion(rows: list[dict[str, str]]) -> tuple[Counter[tuple[str, str]], list[str]]:
    confusion: Counter[tuple[str, str]] = Counter()
    wrong = []
    for row in rows:
        result = classify((HELDOUT / row["file"]).read_bytes())
        confusion[(row["expected_class"], result.mail_class.value)] += 1
        if result.mail_class.value != row["expected_class"]:
            wrong.append(f"{row['file']}: {row['expected_class']} -> {result.mail_class}")
            wrong.append(f"    ({result.reason})")
    return confusion, wrong


def _report(half: str, confusion: Counter[tuple[str, str]], wrong: list[str]) -> str:
    got = [c.value for c in MailClass]
    lines = [f"held-out corpus, {half}: expected (rows) -> classified (columns)"]
    lines.append(" " * 12 + "".join(f"{g:>12}" for g in got))
    for expected in sorted({e for e, _ in confusion}):
        total = sum(n for (e, _), n in confusion.items() if e == expected)
        cells = "".join(f"{confusion[(expected, g)]:>12}" for g in got)
        share = confusion[(expected, expected)] / total
        lines.append(f"{expected:<12}{cells}   {share:.1%} of {total}")
    return "\n".join(lines + wrong)


@pytest.mark.parametrize("half", ["dev", "test", "all"])
def test_each_class_is_at_least_97_percent_right(half: str) -> None:
    rows = [r for r in _rows() if half == "all" or r["half"] == half]
    confusion, wrong = _confusion(rows)
    report = _report(half, confusion, wrong)
    print(report)
    for expected in {e for e, _ in confusion}:
        total = sum(n for (e, _), n in confusion.items() if e == expected)
        assert confusion[(expected, expected)] / total >= GOAL, report


def test_the_index_lists_every_file_once_with_a_known_class_and_half() -> None:
    rows = _rows()
    files = [r["file"] for r in rows]
    assert len(files) == len(set(files))
    on_disk = {str(p.relative_to(HELDOUT)) for p in HELDOUT.glob("*/*.eml")}
    assert set(files) == on_disk
    assert {r["expected_class"] for r in rows} <= {c.value for c in MailClass}
    assert {r["half"] for r in rows} == {"dev", "test"}
    assert all(r["source"] for r in rows)
