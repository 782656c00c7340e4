"""The 2024 register codes.

School Attendance (Pupil Registration) (England) Regulations 2024, regulation 10.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    PRESENT = "present"
    APPROVED_ACTIVITY = "approved_educational_activity"
    AUTHORISED = "authorised_absence"
    UNAUTHORISED = "unauthorised_absence"
    NOT_COUNTED = "not_counted"


@dataclass(frozen=True)
class Code:
    code: str
    category: Category
    meaning: str


_TABLE: tuple[Code, ...] = (
    Code("/", Category.PRESENT, "present (AM)"),
    Code("\\", Category.PRESENT, "present (PM)"),
    Code("L", Category.PRESENT, "late, before the register closed"),
    Code("K", Category.APPROVED_ACTIVITY, "education provision arranged by the local authority"),
    Code("V", Category.APPROVED_ACTIVITY, "educational visit or trip"),
    Code("P", Category.APPROVED_ACTIVITY, "approved sporting activity"),
    Code("W", Category.APPROVED_ACTIVITY, "work experience"),
    Code("B", Category.APPROVED_ACTIVITY, "other approved supervised off-site education"),
    Code("C", Category.AUTHORISED, "leave of absence for exceptional circumstances"),
    Code("C1", Category.AUTHORISED, "leave for a regulated performance or employment abroad"),
    Code("C2", Category.AUTHORISED, "leave for a part-time timetable"),
    Code("E", Category.AUTHORISED, "suspended or excluded, no alternative provision"),
    Code("I", Category.AUTHORISED, "illness"),
    Code("M", Category.AUTHORISED, "medical or dental appointment"),
    Code("J1", Category.AUTHORISED, "interview"),
    Code("S", Category.AUTHORISED, "study leave"),
    Code("T", Category.AUTHORISED, "Traveller, parent travelling for occupational purposes"),
    Code("R", Category.AUTHORISED, "religious observance"),
    Code("G", Category.UNAUTHORISED, "holiday not granted by the school"),
    Code("O", Category.UNAUTHORISED, "other unauthorised absence"),
    Code("U", Category.UNAUTHORISED, "arrived after the register closed"),
    Code("N", Category.UNAUTHORISED, "reason for absence not yet established"),
    Code("D", Category.NOT_COUNTED, "attending another school where also registered"),
    Code("X", Category.NOT_COUNTED, "not of compulsory school age"),
    # Q, Y1 and Y7 are possible legal defences (the LA): not counted, so never unauthorised.
    Code("Q", Category.NOT_COUNTED, "local authority access arrangements not provided"),
    Code("Y1", Category.NOT_COUNTED, "local authority transport not available"),
    Code("Y2", Category.NOT_COUNTED, "widespread disruption to travel"),
    Code("Y3", Category.NOT_COUNTED, "part of the school premises closed"),
    Code("Y4", Category.NOT_COUNTED, "unexpected whole-school closure"),
    Code("Y5", Category.NOT_COUNTED, "held in criminal-justice detention"),
    Code("Y6", Category.NOT_COUNTED, "public-health guidance or law"),
    Code("Y7", Category.NOT_COUNTED, "other unavoidable cause"),
    Code("Z", Category.NOT_COUNTED, "not yet on roll"),
    Code("#", Category.NOT_COUNTED, "planned whole-school closure"),
)

CODES: dict[str, Code] = {c.code: c for c in _TABLE}

# Codes withdrawn in August 2024; the LA asks for `C` where leave was granted.
RETIRED: dict[str, str] = {
    "H": "H (agreed holiday) no longer exists from August 2024: use C where leave was granted",
    "J": "J (interview) no longer exists from August 2024: use J1",
    "F": "F (extended family holiday) no longer exists from August 2024: use C where leave "
    "was granted, otherwise G",
    "Y": "a bare Y no longer exists from August 2024: use Y1 to Y7",
}

UNAUTHORISED_CODES: frozenset[str] = frozenset(
    c.code for c in _TABLE if c.category is Category.UNAUTHORISED
)
DEFAULT_THRESHOLD_CODES: frozenset[str] = frozenset({"G", "O", "U"})
# A week in which every mark is one of these offered the pupil no chance to attend (CONTRACT.md).
NO_SCHOOL_SESSION: frozenset[str] = frozenset({"#", "Y4", "Z"})
# Marks that say nothing about another school's session (attendance/registers.py): not yet on
# roll here, attending the other school, this school closed. Any other mark is a real one.
SILENT_FOR_OTHER_SCHOOLS: frozenset[str] = frozenset({"Z", "D", "#", "Y4"})


class CodeError(ValueError):
    """A register code that is not in the 2024 code set."""


def parse_code(text: str) -> Code:
    """The 2024 code for `text`, or CodeError saying what to use instead."""
    raw = text.strip()
    code = raw.upper() if raw not in ("/", "\\") else raw
    if code in CODES:
        return CODES[code]
    if code in RETIRED:
        raise CodeError(RETIRED[code])
    raise CodeError(f"unknown register code {raw!r} (not in the 2024 code set)")


def is_school_session(code: str) -> bool:
    """True when a mark shows the pupil had the opportunity to attend that session."""
    return code not in NO_SCHOOL_SESSION


def validate_threshold_codes(codes: frozenset[str]) -> frozenset[str]:
    """Threshold codes must be unauthorised-absence codes: authorised absence never counts."""
    if not codes:
        raise CodeError("the threshold needs at least one counted code")
    wrong = sorted(codes - UNAUTHORISED_CODES)
    if wrong:
        raise CodeError(
            "only unauthorised-absence codes can count towards the threshold, "
            f"not {', '.join(wrong)}"
        )
    return codes
