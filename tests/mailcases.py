"""A school with many pupils, each with one parent who consented to email at their own
address in the Postfix/Dovecot fixture's parents.test domain (crash and sharing tests)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from casework.consent import record_consent
from casework.imports import import_csv
from supportfirst.bootstrap import App
from supportfirst.settings import Settings
from tests import builders as b
from tests.cases import HEAD, enrol
from tests.mailservers import MailServers, unique_address

FORM = ("consent-form.pdf", b"%PDF-1.4 the signed consent form")


def relay_settings(data_dir: Path, servers: MailServers) -> Settings:
    return Settings(
        data_dir=data_dir,
        SUPPORTFIRST_FROM=unique_address("attendance", "school.test"),
        smtp_url=f"smtp://{servers.smtp_host}:{servers.smtp_port}",
    )


async def consenting_families(
    app: App, prefix: str, n: int, on: date, now: datetime
) -> dict[str, str]:
    """UPN → the address its one parent (`P<UPN>`) consented to."""
    upns = [f"{prefix}{i:012d}" for i in range(1, n + 1)]
    files = {
        "schools": b.schools(),
        "pupils": b.csv_bytes(
            "upn,first_name,last_name,date_of_birth,school_urn,year_group",
            [f"{u},Sam,Taylor,2015-03-01,{b.SCHOOL_A},5" for u in upns],
        ),
        "parents": b.csv_bytes(
            "parent_id,upn,name,email,relationship",
            [f"P{u},{u},Parent {u},,mother" for u in upns],
        ),
        "calendar": b.calendar(),
    }
    for kind, data in files.items():
        await import_csv(app.uow(), kind, f"{kind}.csv", data, HEAD, now)
    await enrol(app.uow, now=now)
    addresses = {upn: unique_address("parent") for upn in upns}
    for upn, address in addresses.items():
        await record_consent(
            app.uow(), app.evidence(), f"P{upn}", address, "form", on, "o", now, FORM
        )
    return addresses
