"""Compulsory school age as a use case sees it: the reason a notice or penalty is refused."""

from __future__ import annotations

from datetime import date

from attendance.age import compulsory_school_age
from casework.errors import NotOfCompulsorySchoolAge
from casework.records import PupilRow


def age_refusal(pupil: PupilRow, on: date) -> str | None:
    """Why `pupil` is outside compulsory school age on `on`, or None when they are inside it."""
    age = compulsory_school_age(pupil.date_of_birth)
    if on < age.first_day:
        return (
            f"{pupil.upn} is not of compulsory school age on {on} "
            f"(born {pupil.date_of_birth}; from {age.first_day}, Education Act 1996 s8)"
        )
    if on > age.last_day:
        return (
            f"{pupil.upn} is not of compulsory school age on {on} "
            f"(born {pupil.date_of_birth}; it ended on {age.last_day}, Education Act 1996 s8)"
        )
    return None


def require_compulsory_school_age(pupil: PupilRow, on: date) -> None:
    reason = age_refusal(pupil, on)
    if reason is not None:
        raise NotOfCompulsorySchoolAge(reason)
