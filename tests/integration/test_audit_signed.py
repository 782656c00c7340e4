"""The audit chain is signed with a key outside the database, and its head is written to a file
outside it: re-hashing after an edit, stripping the signatures, and cutting the tail (or
deleting everything) are each caught, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from casework.audit import ChainReport, entry_hash, record_head, verify_audit
from store.signing import create_key
from store.uow import SqlUnitOfWork
from supportfirst.bootstrap import App

NOW = datetime(2025, 3, 14, 16, 0, 0, 123456, tzinfo=UTC)


async def append(uow_of: SqlUnitOfWork, n: int, start: int = 0) -> None:
    async with uow_of as uow:
        for i in range(start, start + n):
            at = NOW + timedelta(seconds=i)
            await uow.audit.append("officer", "case.note", f"pupil:{i}", {"i": i}, at)
        await uow.commit()


@pytest.fixture
async def chain(app: App) -> App:
    await append(app.uow(), 4)
    await record_head(app.uow(), app.signing_key, app.heads(), NOW)  # the day's head, on file
    return app


async def verify(app: App) -> ChainReport:
    return await verify_audit(
        app.uow(), verifier=app.signing_key.public(), heads=app.heads().lines()
    )


async def rehash_from(app: App, seq: int, *, keep_signatures: bool) -> None:
    """What someone with only the database can do: edit an entry and re-hash every link after
    it, so that the plain hash chain is whole again."""
    async with app.uow() as uow:
        rows = await uow.audit.all()  # the timestamps as the store hands them back
    prev = rows[seq - 2].hash if seq > 1 else "0" * 64
    async with app.engine.begin() as conn:
        for row in rows[seq - 1 :]:
            details = '{"i":"edited"}' if row.seq == seq else row.details
            digest = entry_hash(row.seq, row.at, row.actor, row.action, row.subject, details, prev)
            await conn.execute(
                text(
                    "UPDATE audit_entry SET details = :d, prev_hash = :p, hash = :h, "
                    "signature = :s WHERE seq = :seq"
                ),
                {
                    "d": details,
                    "p": prev,
                    "h": digest,
                    "s": row.signature if keep_signatures else None,
                    "seq": row.seq,
                },
            )
            prev = digest


async def test_a_signed_chain_with_its_head_on_file_verifies(chain: App) -> None:
    report = await verify(chain)
    assert report.ok, report.problems
    assert report.signed_from == 1 and report.entries == 4
    [line] = chain.heads().lines()
    assert "\t4\t" + report.head in line


async def test_a_rehashed_chain_is_caught_by_its_signatures(chain: App) -> None:
    await rehash_from(chain, 2, keep_signatures=True)
    problems = (await verify(chain)).problems
    assert [p for p in problems if "signature does not verify" in p][:1] == [
        f"entry 2: its signature does not verify with key {chain.signing_key.public_key} "
        "(re-hashed without the key, or signed by another key)"
    ]
    assert any("entry 4 is not the one recorded then (rewritten)" in p for p in problems)
    assert not any("content changed" in p for p in problems)  # the hashes alone look fine


async def test_a_rehashed_chain_with_its_signatures_dropped_is_caught(chain: App) -> None:
    await rehash_from(chain, 3, keep_signatures=False)
    problems = (await verify(chain)).problems
    assert "entry 3: not signed, though every entry from 1 is (re-written without the key)" in (
        problems
    )


async def test_a_chain_rewritten_whole_and_unsigned_is_caught_by_the_head_file(
    chain: App,
) -> None:
    await rehash_from(chain, 1, keep_signatures=False)
    report = await verify(chain)
    assert not report.ok
    assert any(
        "entries were signed from 1, now none is (signatures removed)" in p for p in report.problems
    )
    assert any("entry 4 is not the one recorded then" in p for p in report.problems)


async def test_a_cut_tail_is_caught_by_the_head_file(chain: App) -> None:
    async with chain.engine.begin() as conn:
        await conn.execute(text("DELETE FROM audit_entry WHERE seq = 4"))
    report = await verify(chain)
    assert not report.ok
    assert (
        "the chain had 4 entries, it now has 3 (entries removed from the end)"
        in (report.problems[0])
    )


async def test_deleting_every_entry_is_caught_by_the_head_file(chain: App) -> None:
    async with chain.engine.begin() as conn:
        await conn.execute(text("DELETE FROM audit_entry"))
    problems = (await verify(chain)).problems
    assert any("it now has 0 (entries removed from the end)" in p for p in problems)


async def test_a_forged_head_line_is_caught(chain: App) -> None:
    line = chain.heads().lines()[0].split("\t")
    line[1] = "2"  # claim the chain was shorter, hoping to hide the last entries
    chain.heads().append("\t".join(line))
    problems = (await verify(chain)).problems
    assert problems == [] or problems[0].startswith("head file line 2")
    assert len(problems) == 1 and "signature does not verify" in problems[0]


async def test_a_chain_that_predates_signing_says_from_where_signing_starts(app: App) -> None:
    await append(SqlUnitOfWork(app.engine), 3)  # written before the service had a key
    unsigned = await verify(app)
    assert unsigned.ok and unsigned.signed_from is None
    assert "no entry is signed: the chain predates signing" in unsigned.notes[0]
    await append(app.uow(), 2, start=3)
    report = await verify(app)
    assert report.ok and report.signed_from == 4
    assert report.notes[0] == (
        "entries 1 to 3 predate signing (hash-chained only); signing starts at entry 4"
    )


async def test_entries_signed_by_another_key_fail(chain: App, tmp_path: object) -> None:
    from pathlib import Path

    other = create_key(Path(str(tmp_path)) / "other.pem")
    report = await verify_audit(chain.uow(), verifier=other.public(), heads=chain.heads().lines())
    assert not report.ok and "does not verify with key " + other.public_key in report.problems[0]
