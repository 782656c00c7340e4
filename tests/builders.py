"""CSV builders for scenario tests: a school year written as the MIS would export it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

SCHOOL_A, SCHOOL_B = "100001", "100002"
UPN_1, UPN_2 = "A123456789012", "B123456789013"


def csv_bytes(header: str, rows: Iterable[str]) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def schools(la_a: str = "Essex", la_b: str = "Norfolk") -> bytes:
    return csv_bytes(
        "urn,name,local_authority",
        [f"{SCHOOL_A},Riverside Primary,{la_a}", f"{SCHOOL_B},Hillside Academy,{la_b}"],
    )


def pupils(*upns: str, school: str = SCHOOL_A) -> bytes:
    upns = upns or (UPN_1, UPN_2)
    return csv_bytes(
        "upn,first_name,last_name,date_of_birth,school_urn,year_group",
        [f"{u},Sam{i},Taylor,2015-03-0{i + 1},{school},5" for i, u in enumerate(upns)],
    )


PARENTS_HEADER = (
    "parent_id,upn,name,email,relationship,address_line_1,address_line_2,town,postcode,phone"
)
# Where the parents live: every printed letter needs an address to go to.
ADDRESS_1 = "12 Mill Lane,,Colchester,CO1 1AA,01206 555123"
ADDRESS_2 = "Flat 3,40 Station Road,Chelmsford,CM1 2AB,"


def parents(upn: str = UPN_1) -> bytes:
    return csv_bytes(
        PARENTS_HEADER,
        [
            f"P1,{upn},Alex Taylor,alex@example.org,mother,{ADDRESS_1}",
            f"P2,{upn},Jo Taylor,,father,{ADDRESS_2}",
        ],
    )


# The 2024/25 school year for both schools: terms with half-terms and an INSET day.
TERMS = [
    ("2024-09-04", "2024-10-25"),
    ("2024-11-04", "2024-12-20"),
    ("2025-01-06", "2025-02-14"),
    ("2025-02-24", "2025-04-04"),
    ("2025-04-22", "2025-05-23"),
    ("2025-06-02", "2025-07-22"),
    ("2025-09-03", "2025-10-24"),
]
CLOSURES = [("2025-01-06", "2025-01-06")]


def calendar(school: str = SCHOOL_A) -> bytes:
    rows = [f"{school},term,{s},{e}" for s, e in TERMS]
    rows += [f"{school},closure,{s},{e}" for s, e in CLOSURES]
    return csv_bytes("school_urn,kind,start,end", rows)


def school_days(start: date, end: date) -> list[date]:
    days, d = [], start
    while d <= end:
        in_term = any(date.fromisoformat(s) <= d <= date.fromisoformat(e) for s, e in TERMS)
        closed = any(date.fromisoformat(s) <= d <= date.fromisoformat(e) for s, e in CLOSURES)
        if d.weekday() < 5 and in_term and not closed:
            days.append(d)
        d += timedelta(days=1)
    return days


def marks(
    upn: str,
    start: date,
    end: date,
    school: str = SCHOOL_A,
    absent: Iterable[tuple[date, str]] = (),
    code: str = "G",
) -> list[str]:
    """Present every school session from start to end, except `absent` (day, 'AM'|'PM')."""
    absent = set(absent)
    rows = []
    for d in school_days(start, end):
        for session, present in (("AM", "/"), ("PM", "\\")):
            mark = code if (d, session) in absent else present
            rows.append(f"{upn},{school},{d.isoformat()},{session},{mark}")
    return rows


MARKS_HEADER = "upn,school_urn,date,session,code"
