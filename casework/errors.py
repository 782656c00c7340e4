"""The errors a use case raises. Each message is written for a school office to act on.

The CLI (and later Slack) turns any `CaseworkError` into one line of text; anything else is a bug.
"""

from __future__ import annotations


class CaseworkError(Exception):
    """Base of every error a user can cause and fix."""


class NotFound(CaseworkError):
    """A pupil, parent, notice… that is not on record."""


class Refused(CaseworkError):
    """The rules do not allow this action now; the message says why.

    A refusal for want of something the user can give names it in `needs` (LEAVE_DATES, …),
    and `said` is the reason without the command line's option names: each chat surface says
    in its own words how to give it (a form's field, a word to add), the CLI keeps its flags."""

    def __init__(self, message: str, needs: str = "", said: str = "") -> None:
        super().__init__(message)
        self.needs = needs
        self.said = said or message


# What a refusal can need (Refused.needs).
LEAVE_DATES = "leave_dates"  # the first and last day of a term-time leave
DISCUSSION = "discussion"  # the case-log entry whose notes a letter sends
AGAIN = "again"  # the same letter to the same parents a second time today


class ImportRejected(CaseworkError):
    """A CSV file was rejected whole; `problems` are `FILE:LINE: field: reason` lines."""

    def __init__(
        self, problems: list[str], total: int | None = None, rows: int | None = None
    ) -> None:
        self.problems = problems
        # How many there were in all, when `problems` shows only some (the report has them all).
        self.total = len(problems) if total is None else total
        # How many rows the file has, when known: so "every row fails on X" can be said.
        self.rows = rows
        super().__init__("\n".join(problems))


class RegistersDisagree(Refused):
    """Two schools recorded different real marks for a session of the pupil: until one school
    corrects its register, nothing legal can rest on it."""


class RegistersMissing(Refused):
    """A week of term in the window has no marks for a pupil on roll: the window would reach
    back over it, so nothing legal can rest on it until the registers are imported."""


class NotOfCompulsorySchoolAge(Refused):
    """Education Act 1996 s8: the pupil's absence on that date can found no notice or penalty."""
