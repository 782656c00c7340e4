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
