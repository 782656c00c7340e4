"""The store's side of staff scope, on SQLite and PostgreSQL alike: school contact details, alert
routes per school, Slack workspaces' schools, and signed requests remembered once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from casework.ports import UnitOfWork
from casework.records import SchoolContact, SchoolRow

NOW = datetime(2025, 3, 7, 9, 0, tzinfo=UTC)


async def test_a_request_is_remembered_once_and_forgotten_after_the_window(
    uow: UnitOfWork,
) -> None:
    async with uow:
        assert await uow.chat.remember_request("sig:1:v0=a", NOW) is True
        await uow.commit()
    async with uow:
        assert await uow.chat.remember_request("sig:1:v0=a", NOW) is False
        assert await uow.chat.remember_request("event:Ev1", NOW) is True
        await uow.commit()
    async with uow:
        await uow.chat.forget_requests(NOW + timedelta(minutes=10))
        assert await uow.chat.remember_request("sig:1:v0=a", NOW + timedelta(minutes=11))
        await uow.commit()


async def test_contacts_routes_and_workspaces_per_school(uow: UnitOfWork) -> None:
    async with uow:
        await uow.registry.upsert_schools(
            [SchoolRow("100001", "Riverside", "Essex"), SchoolRow("100002", "Hillside", "Essex")]
        )
        assert await uow.registry.school_contact("100001") == SchoolContact("100001")
        contact = SchoolContact("100001", "1 River Road", "01206 500100", "a@r.example", "Mr O")
        await uow.registry.save_school_contact(contact, NOW)
        await uow.chat.add_route("*", "console", NOW)
        await uow.chat.add_school_route("ThresholdMet", "slack:C1", "100001", NOW)
        await uow.chat.add_school_route("ThresholdMet", "slack:C1", "100001", NOW)
        await uow.chat.add_workspace_school("T1", "100002", NOW)
        await uow.chat.add_workspace_school("T1", "100002", NOW)
        await uow.commit()
    async with uow:
        assert await uow.registry.school_contact("100001") == contact
        assert await uow.chat.school_routes() == [
            ("*", "console", ""),
            ("ThresholdMet", "slack:C1", "100001"),
        ]
        assert await uow.chat.routes() == [("*", "console")]  # every school's only
        assert await uow.chat.workspace_schools("T1") == {"100002"}
        assert await uow.chat.workspace_schools("T9") == set()
        assert await uow.chat.remove_school_route("ThresholdMet", "slack:C1", "100001")
        assert not await uow.chat.remove_school_route("ThresholdMet", "slack:C1", "100002")
        await uow.commit()
