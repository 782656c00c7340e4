"""Recording a local authority's rules (its code of conduct) for the threshold and NTIs."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from attendance.authorities import AuthorityRules, key, rules_for
from attendance.codes import CodeError
from casework.errors import Refused
from casework.ports import UnitOfWork


async def set_rules(
    uow: UnitOfWork,
    name: str,
    by: str,
    now: datetime,
    threshold_codes: frozenset[str] | None,
    nti_weeks: int | None,
    nti_max_school_days: int | None,
    clear_cap: bool = False,
) -> AuthorityRules:
    async with uow:
        current = rules_for(name, await uow.registry.recorded_rules())
        changes: dict[str, object] = {"name": name.strip()}
        if threshold_codes is not None:
            changes["threshold_codes"] = threshold_codes
        if nti_weeks is not None:
            changes["nti_weeks"] = nti_weeks
        if nti_max_school_days is not None or clear_cap:
            changes["nti_max_school_days"] = nti_max_school_days
        try:
            rules = replace(current, **changes)  # type: ignore[arg-type]
        except (CodeError, ValueError) as e:
            raise Refused(str(e)) from None
        await uow.registry.save_rules(key(name), rules)
        await uow.audit.append(
            by,
            "authority.rules",
            key(name),
            {
                "threshold_codes": sorted(rules.threshold_codes),
                "nti_weeks": rules.nti_weeks,
                "nti_max_school_days": rules.nti_max_school_days,
            },
            now,
        )
        await uow.commit()
    return rules


async def list_rules(uow: UnitOfWork) -> dict[str, AuthorityRules]:
    async with uow:
        recorded = await uow.registry.recorded_rules()
        names = await uow.registry.authorities_in_use()
    return {n: rules_for(n, recorded) for n in sorted(names | {r.name for r in recorded.values()})}


async def rules_for_pupil(uow: UnitOfWork, upn: str) -> AuthorityRules:
    pupil = await uow.registry.pupil(upn)
    school = await uow.registry.school(pupil.school_urn) if pupil else None
    recorded = await uow.registry.recorded_rules()
    return rules_for(school.local_authority if school else "", recorded)
