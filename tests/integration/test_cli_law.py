"""Issue 11's rules of law through the command line: age, penalties, time limits, the framework."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tests import builders as b
from tests.integration.test_cli import Cli

UPN_17 = b.UPN_2  # born 2008: 17 in the spring of 2025, past compulsory school age
GONE = [(date(2025, 3, d), s) for d in range(3, 8) for s in ("AM", "PM")]


def _pupils() -> bytes:
    return b.csv_bytes(
        "upn,first_name,last_name,date_of_birth,school_urn,year_group",
        [
            f"{b.UPN_1},Sam,Taylor,2015-03-01,{b.SCHOOL_A},5",
            f"{UPN_17},Kim,Moss,2008-05-01,{b.SCHOOL_A},12",
        ],
    )


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    run = Cli(tmp_path)
    run.enrol()
    parents = b.csv_bytes(
        b.PARENTS_HEADER,
        [
            f"P1,{b.UPN_1},Alex Taylor,alex@example.org,mother,{b.ADDRESS_1}",
            f"P3,{UPN_17},Lee Moss,,mother,{b.ADDRESS_2}",
        ],
    )
    for kind, data in (
        ("schools", b.schools()),
        ("pupils", _pupils()),
        ("parents", parents),
        ("calendar", b.calendar()),
    ):
        out = run("import", kind, run.file(f"{kind}.csv", data))
        assert out.returncode == 0, out.stderr
    rows = b.marks(b.UPN_1, date(2025, 2, 24), date(2025, 3, 14), absent=GONE)
    rows += b.marks(UPN_17, date(2025, 2, 24), date(2025, 3, 14), absent=GONE)
    assert (
        run("import", "marks", run.file("marks.csv", b.csv_bytes(b.MARKS_HEADER, rows))).returncode
        == 0
    )
    return run


def _nti(cli: Cli, upn: str, on: str = "2025-03-10"):  # noqa: ANN202
    return cli(
        "nti", "issue", upn, "--by", "Ms Patel", "--on", on, "--improvement", "No further absence"
    )


def test_a_seventeen_year_old_meets_no_threshold_and_gets_no_notice(cli: Cli) -> None:
    out = cli("threshold", "--on", "2025-03-14", "--json", "--all")
    assert out.returncode == 0, out.stderr
    pupils = {p["upn"]: p for p in json.loads(out.stdout)["pupils"]}
    assert pupils[b.UPN_1]["met"] and pupils[b.UPN_1]["compulsory_school_age"]
    assert pupils[UPN_17]["unauthorised_sessions"] == 10
    assert (pupils[UPN_17]["met"], pupils[UPN_17]["compulsory_school_age"]) == (False, False)
    refused = _nti(cli, UPN_17)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"supportfirst: {UPN_17} is not of compulsory school age on 2025-03-10 (born 2008-05-01; "
        "it ended on 2024-06-28, Education Act 1996 s8)"
    )
    assert _nti(cli, b.UPN_1).returncode == 0


def test_an_improvement_period_outside_3_to_6_school_weeks_is_refused(cli: Cli) -> None:
    out = cli("authority", "set", "Essex", "--nti-weeks", "12")
    assert out.returncode == 1
    assert out.stderr.strip() == (
        "supportfirst: an improvement period must be between 3 and 6 school weeks "
        "(DfE framework), not 12"
    )
    assert cli("authority", "set", "Essex", "--nti-weeks", "2").returncode == 1
    ok = cli("authority", "set", "Essex", "--nti-weeks", "3")
    assert ok.stdout.strip() == "Essex: threshold codes G,O,U; NTI 3 school weeks"


def test_a_penalty_for_a_pupil_with_full_attendance_is_refused_with_every_reason(
    cli: Cli,
) -> None:
    # Every week of term from the fixture's last register on, so none is missing.
    full = b.marks(b.UPN_1, date(2025, 3, 17), date(2025, 5, 23))
    assert (
        cli("import", "marks", cli.file("full.csv", b.csv_bytes(b.MARKS_HEADER, full))).returncode
        == 0
    )
    check = ("penalty", "check", "P1", b.UPN_1, "--on", "2025-05-27", "--json")
    out = json.loads(cli(*check, "--offence-start", "2025-04-22").stdout)
    assert out["allowed"] is False
    assert [r.split(":")[0] for r in out["reasons"]] == [
        "the national threshold was not met from 2025-04-22 to 2025-05-26",
        "the local authority's agreement is not recorded",
    ]
    assert out["reason"] == "; ".join(out["reasons"])
    record = ("penalty", "record", "P1", b.UPN_1, "--by", "LA officer", "--on", "2025-05-27")
    refused = cli(*record, "--offence-start", "2025-04-22")
    assert refused.returncode == 1 and "national threshold was not met" in refused.stderr
    # The week of 3 March met it; the LA agreed first: now the notice is allowed.
    agree = ("penalty", "agree", "P1", b.UPN_1, "--by", "LA officer", "--reference", "ACT/1")
    assert cli(*agree, "--on", "2025-03-18").returncode == 0
    ok = json.loads(cli(*check, "--offence-start", "2025-03-03").stdout)
    assert (ok["allowed"], ok["reasons"], ok["ordinal"]) == (True, [], 1)
    assert cli(*record, "--offence-start", "2025-03-03").returncode == 0


def test_no_penalty_for_a_seventeen_year_old(cli: Cli) -> None:
    out = cli(
        "penalty", "check", "P3", UPN_17, "--on", "2025-03-20", "--offence-start", "2025-03-03"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == (
        "the child was not of compulsory school age from 2025-03-03 to 2025-03-19 "
        "(only from 2013-08-31 to 2024-06-28, Education Act 1996 s8)"
    )


def test_a_holiday_case_gets_time_limit_near_with_no_nti(cli: Cli) -> None:
    def review(on: str) -> list[dict[str, object]]:
        out = cli("review", "--on", on, "--json")
        assert out.returncode == 0, out.stderr
        return list(json.loads(out.stdout)["events"])

    [met] = review("2025-03-14")
    assert (met["kind"], met["upn"], met["route"]) == ("ThresholdMet", b.UPN_1, "term_time_holiday")
    assert review("2025-07-22") == []
    [near] = review("2025-07-23")
    assert near["kind"] == "TimeLimitNear" and near["upn"] == b.UPN_1
    assert (near["offence_on"], near["deadline"]) == ("2025-03-03", "2025-09-03")
    assert review("2025-07-24") == []


def test_a_penalty_notices_later_state_is_recorded(cli: Cli) -> None:
    agree = ("penalty", "agree", "P1", b.UPN_1, "--by", "LA officer", "--reference", "ACT/1")
    assert cli(*agree, "--on", "2025-03-18").returncode == 0
    record = ("penalty", "record", "P1", b.UPN_1, "--by", "LA", "--offence-start", "2025-03-03")
    assert cli(*record, "--on", "2025-03-20").returncode == 0
    [notice] = json.loads(cli("penalty", "list", b.UPN_1, "--json").stdout)["penalties"]
    assert (notice["parent_id"], notice["state"]) == ("P1", "issued")
    state = ("penalty", "state", b.UPN_1, str(notice["id"]))
    unpaid = cli(*state, "unpaid", "--by", "LA", "--reason", "not paid in 28 days")
    assert unpaid.stdout.strip() == f"penalty notice {notice['id']} to P1: unpaid"
    paid = cli(*state, "paid", "--by", "LA", "--reason", "late")
    assert paid.returncode == 1
    assert paid.stderr.strip() == (
        "supportfirst: a penalty notice that is unpaid cannot become paid "
        "(it can become prosecution_considered, withdrawn)"
    )
    assert cli(*state, "prosecution_considered", "--by", "LA", "--reason", "ACT").returncode == 0
    [after] = json.loads(cli("penalty", "list", b.UPN_1, "--json").stdout)["penalties"]
    assert after["state"] == "prosecution_considered"


def test_an_nti_may_rely_on_the_threshold_met_in_the_previous_10_school_weeks(cli: Cli) -> None:
    later = b.marks(b.UPN_1, date(2025, 3, 17), date(2025, 9, 12))
    assert (
        cli("import", "marks", cli.file("later.csv", b.csv_bytes(b.MARKS_HEADER, later))).returncode
        == 0
    )
    dipped = json.loads(cli("threshold", "--on", "2025-06-02", "--json", "--all").stdout)
    assert [p["met"] for p in dipped["pupils"] if p["upn"] == b.UPN_1] in ([], [False])
    assert _nti(cli, b.UPN_1, "2025-09-12").returncode == 1  # met last on 23 May: too long ago
    issued = _nti(cli, b.UPN_1, "2025-06-02")
    assert issued.returncode == 0, issued.stderr
