"""Who works on the cases and how parents reach the school: staff and school contact records
(casework.records names them too)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StaffRecord:
    """A member of staff: their own id, role and contact details, the Slack user they are
    (if any), and the schools whose pupils they work with (or every school: a trust or LA)."""

    id: str
    name: str
    role: str
    email: str = ""
    phone: str = ""
    slack_user_id: str | None = None
    schools: tuple[str, ...] = ()
    all_schools: bool = False

    def covers(self, school_urn: str) -> bool:
        return self.all_schools or school_urn in self.schools


@dataclass(frozen=True)
class SchoolContact:
    """How parents reach the school (`school set`): the letterhead and the pack's cover."""

    urn: str
    address: str = ""
    phone: str = ""
    email: str = ""
    champion: str = ""  # the Senior Attendance Champion's name
