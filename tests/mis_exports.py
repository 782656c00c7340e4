"""The same register as SIMS, Arbor and Bromcom export it (columns, dates, sessions as
casework/mis.py reads them by default), for tests and for examples/mis/."""

from __future__ import annotations

from datetime import date

from tests import builders as b

# A term's marks for one pupil, with 10 O sessions in March: the threshold is met.
ABSENT = [(date(2025, 3, d), s) for d in (3, 4, 5, 10, 11) for s in ("AM", "PM")]


def contract_rows(upn: str = b.UPN_1) -> list[tuple[str, date, str, str]]:
    rows = b.marks(upn, date(2025, 1, 6), date(2025, 3, 14), absent=ABSENT, code="O")
    out = []
    for r in rows:
        u, _, d, session, code = r.split(",")
        out.append((u, date.fromisoformat(d), session, code))
    return out


def sims(rows: list[tuple[str, date, str, str]]) -> bytes:
    lines = ["Adno,UPN,Legal Surname,Legal Forename,Reg Group,Date,Session,Mark"]
    lines += [f"1001,{u},Taylor,Sam,5T,{d:%d/%m/%Y},{s},{c}" for u, d, s, c in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")  # Excel: a BOM, CRLF


def arbor(rows: list[tuple[str, date, str, str]]) -> bytes:
    lines = ["Student,Student UPN,Year,Registration Form,Session Date,Session Name,Attendance Mark"]
    names = {"AM": "Morning", "PM": "Afternoon"}
    lines += [f"Zoë Taylor,{u},Year 5,5T,{d:%d/%m/%Y},{names[s]},{c}" for u, d, s, c in rows]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")  # saved by Excel on Windows


def bromcom(rows: list[tuple[str, date, str, str]], local: dict[str, str] | None = None) -> bytes:
    """`;`-separated, the session's start as a date and time, no session column; the school's
    own letter for O (mapped back with --codes)."""
    local = local or {"O": "A"}
    start = {"AM": "08:50", "PM": "13:15"}
    lines = ["Student Name;UPN;Session Start;Code"]
    lines += [f"Taylor, Sam;{u};{d:%d/%m/%Y} {start[s]};{local.get(c, c)}" for u, d, s, c in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


CODES = b"local,code\nA,O\n"


def sims_xml(rows: list[tuple[str, date, str, str]]) -> bytes:
    """The same report as SIMS's CommandReporter writes it: XML records, captions with their
    spaces escaped as .NET writes them, dates as .NET date-times."""
    records = "".join(
        f"<Record><Adno>1001</Adno><UPN>{u}</UPN><Legal_x0020_Surname>Taylor"
        f"</Legal_x0020_Surname><Attendance_x0020_Date>{d:%Y-%m-%d}T00:00:00+00:00"
        f"</Attendance_x0020_Date><Session_x0020_Name>{s}</Session_x0020_Name>"
        f"<Mark>{c}</Mark></Record>\n"
        for u, d, s, c in rows
    )
    head = '<?xml version="1.0" encoding="utf-8"?>\n<SuperStarReport>\n'
    return f"{head}{records}</SuperStarReport>\n".encode()
