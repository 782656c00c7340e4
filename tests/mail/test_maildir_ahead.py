"""A Maildir read ahead of what is filed: `fetch(after=batch)` gives the messages after a batch
still in new/ (read, not yet filed and moved), in arrival order, and nothing twice."""

from __future__ import annotations

from pathlib import Path

from mail.inbox import MaildirInbox


def _deliver(folder: Path, n: int) -> None:
    for i in range(n):
        (folder / "new" / f"{1_700_000_000 + i}.M{i}P1Q1.host").write_bytes(
            f"X-N: {i}\r\n".encode()
        )


def _numbers(raws: list[bytes]) -> list[int]:
    return [int(raw.split(b": ")[1]) for raw in raws]


def test_the_batch_after_one_not_yet_moved_is_the_next_in_arrival_order(tmp_path: Path) -> None:
    inbox = MaildirInbox(tmp_path / "box")
    _deliver(inbox.path, 5)
    first = inbox.fetch(None, 2)
    second = inbox.fetch(None, 2, after=first)  # the first still in new/
    assert _numbers([a.raw for a in first.arrived]) == [0, 1]
    assert _numbers([a.raw for a in second.arrived]) == [2, 3]
    inbox.acknowledge(first)
    third = inbox.fetch(None, 2, after=second)
    assert _numbers([a.raw for a in third.arrived]) == [4]
    inbox.acknowledge(second)
    inbox.acknowledge(third)
    assert inbox.fetch(None, 2).arrived == []
    assert len(list((inbox.path / "cur").iterdir())) == 5


def test_a_batch_not_filed_is_read_again_from_the_start(tmp_path: Path) -> None:
    inbox = MaildirInbox(tmp_path / "box")
    _deliver(inbox.path, 3)
    first = inbox.fetch(None, 2)
    inbox.fetch(None, 2, after=first)  # read ahead, then the filing failed: nothing moved
    again = inbox.fetch(None, 2)
    assert _numbers([a.raw for a in again.arrived]) == [0, 1]
