"""The Unique Pupil Number's check letter (DfE, "Unique pupil numbers (UPN)" guide, annex on the
check letter): characters 2 to 13 weighted 2 to 13, summed, modulo 23, read off an alphabet
without I, O and S. A temporary UPN ends in a letter, which counts by the same alphabet."""

from __future__ import annotations

import re

ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
_SHAPE = re.compile(r"^[A-Z][0-9]{11}[0-9A-Z]$")


def check_letter(upn: str) -> str:
    """The check letter a UPN's last 12 characters call for."""
    total = 0
    for weight, ch in enumerate(upn[1:13], start=2):
        total += weight * (int(ch) if ch.isdigit() else ALPHABET.index(ch))
    return ALPHABET[total % 23]


def upn_problem(upn: str) -> str | None:
    """Why `upn` is not a valid UPN, or None when it is one."""
    if not _SHAPE.match(upn):
        return f"{upn!r} is not a UPN (a letter, 11 digits and a digit or letter)"
    if not upn[-1].isdigit() and upn[-1] not in ALPHABET:
        return f"{upn!r} ends in {upn[-1]}, which no temporary UPN uses (I, O and S are not used)"
    expected = check_letter(upn)
    if upn[0] != expected:
        return f"{upn!r} has the check letter {upn[0]} but its digits call for {expected}"
    return None
