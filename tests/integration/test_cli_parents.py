"""`parent address-checked|addresses`, `--verbose`, the empty-database warning and grammatical
counts, as a real process runs them (issue 12 points 1 and 7)."""

from __future__ import annotations

import json
from pathlib import Path

from tests import builders as b
from tests.integration.test_cli import Cli, cli, seeded

__all__ = ["cli", "seeded"]  # the fixtures


def test_an_address_check_is_recorded_and_the_addresses_listed(cli: Cli) -> None:
    out = cli("parent", "address-checked", "P2", "--on", "2025-03-12", "--by", "Ms Patel")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "parent P2: address checked on 2025-03-12 by HEAD: "
        "Flat 3, 40 Station Road, Chelmsford, CM1 2AB"
    ]
    case = json.loads(cli("case", "show", b.UPN_1, "--json").stdout)
    [entry] = [e for e in case["entries"] if e["kind"] == "address_checked"]
    assert entry["parent_id"] == "P2" and entry["on"] == "2025-03-12"
    listed = json.loads(cli("parent", "addresses", "P2", "--json").stdout)
    assert listed["addresses"][0]["lines"] == ["Flat 3", "40 Station Road", "Chelmsford", "CM1 2AB"]
    assert listed["addresses"][0]["source"] == "parents.csv"
    missing = cli("parent", "address-checked", "P2", "--by", "Ms Patel")
    assert missing.returncode == 2 and missing.stderr.splitlines() == [
        "supportfirst: parent address-checked: missing option '--on' "
        "(see supportfirst parent address-checked --help)"
    ]


def test_verbose_names_the_database_and_counts_are_grammatical(cli: Cli) -> None:
    out = cli("threshold", "--on", "2025-03-14", "--verbose")
    assert out.returncode == 0, out.stderr
    database = (cli.folder / "data" / "supportfirst.db").resolve()
    assert out.stderr.splitlines() == [
        f"supportfirst: database sqlite:///{database} (data folder {cli.folder / 'data'})"
    ]
    assert out.stdout.splitlines()[-1] == "1 pupil meets the threshold on 2025-03-14"
    assert cli("threshold", "--on", "2025-03-14").stderr == ""  # not verbose: nothing said


def test_an_empty_database_is_warned_of_and_found_from_a_subfolder(tmp_path: Path) -> None:
    run = Cli(tmp_path)
    run.enrol()
    run.env.pop("SUPPORTFIRST_DATA_DIR")
    (tmp_path / "supportfirst-data").mkdir()
    (tmp_path / "letters" / "2025").mkdir(parents=True)
    run.folder = tmp_path / "letters" / "2025"  # the nearest supportfirst-data is two up
    out = run("review", "--on", "2025-03-14", "--verbose")
    assert out.returncode == 0, out.stderr
    database = tmp_path / "supportfirst-data" / "supportfirst.db"
    assert database.exists() and not (run.folder / "supportfirst-data").exists()
    lines = out.stderr.splitlines()
    assert lines[0].startswith(f"supportfirst: database sqlite:///{database.resolve()}")
    assert lines[1].startswith("supportfirst: warning: the database ") and "no schools" in lines[1]
    assert out.stdout.splitlines() == ["0 events on 2025-03-14"]
