"""The Evidence port: the fake blob store against store/evidence.py."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from casework.ports import Evidence
from store.evidence import EvidenceStore
from tests.fakes import FakeEvidence


@pytest.fixture(params=["fake", "files"])
def evidence(request: pytest.FixtureRequest, tmp_path: Path) -> Evidence:
    return FakeEvidence() if request.param == "fake" else EvidenceStore(tmp_path / "evidence")


def test_blobs_are_named_by_their_sha256_and_kept_once(evidence: Evidence) -> None:
    data = b"From: a@school.test\r\n\r\nHello\r\n"
    sha = evidence.put(data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert evidence.put(data) == sha
    assert evidence.get(sha) == data
    assert evidence.verify(sha) is True


def test_a_missing_blob_is_a_lookup_error(evidence: Evidence) -> None:
    # casework/outgoing.py fails an email whose evidence is gone by catching LookupError.
    with pytest.raises(LookupError):
        evidence.get("0" * 64)
    with pytest.raises(LookupError):
        evidence.verify("0" * 64)


def test_two_threads_storing_the_same_bytes_at_once_both_succeed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both writers are held at the rename until each has written its temporary file: with one
    # temporary name per process the second rename found the file gone (and the first could
    # rename a file the second was still truncating and rewriting).
    import os
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import store.evidence

    both_written = threading.Barrier(2, timeout=10)
    real_replace = os.replace

    def replace_when_both_written(src: str, dst: str) -> None:
        both_written.wait()
        real_replace(src, dst)

    monkeypatch.setattr(store.evidence.os, "replace", replace_when_both_written)
    evidence = EvidenceStore(tmp_path / "evidence")
    data = b"From: a@school.test\r\n\r\n" + b"x" * 100_000
    with ThreadPoolExecutor(2) as pool:
        names = list(pool.map(lambda put: put([data]), [evidence.put_many, evidence.put_many]))
    sha = hashlib.sha256(data).hexdigest()
    assert names == [[sha], [sha]]
    assert evidence.get(sha) == data
    assert not list((tmp_path / "evidence").rglob("*.tmp"))
