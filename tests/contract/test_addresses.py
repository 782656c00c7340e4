"""The Registry's parents' addresses and mailbox keys, the same on the fake, SQLite and
PostgreSQL: versions kept oldest first, the latest on every ParentRow, phones kept."""

from __future__ import annotations

from datetime import timedelta

from attendance.postal import AddressVersion, PostalAddress
from casework.ports import UnitOfWork
from casework.records import Change, ParentRow
from tests.contract.conftest import DAY, OTHER_UPN, UPN, consent, seed

HOME = PostalAddress("12 Mill Lane", "", "Colchester", "CO1 1AA")
MOVED = PostalAddress("Flat 3", "40 Station Road", "Chelmsford", "CM1 2AB")


def _row(address: PostalAddress | None, phone: str | None = None, upn: str = UPN) -> ParentRow:
    return ParentRow("P1", upn, "Alex Taylor", "alex@example.org", "mother", address, phone)


async def test_addresses_are_kept_as_versions_and_the_latest_is_the_parents(
    uow: UnitOfWork,
) -> None:
    await seed(uow)
    async with uow:
        await uow.registry.upsert_parents([_row(HOME, "01206 555123")])
        first = await uow.registry.record_addresses(
            [_row(HOME), _row(HOME, upn=OTHER_UPN)], DAY, "a.csv"
        )
        again = await uow.registry.record_addresses([_row(HOME)], DAY, "a.csv")
        await uow.commit()
    later = DAY + timedelta(days=30)
    async with uow:
        moved = await uow.registry.record_addresses([_row(MOVED)], later, "b.csv")
        none_given = await uow.registry.record_addresses([_row(None)], later, "c.csv")
        await uow.registry.upsert_parents([_row(None)])  # no phone given: the phone stays
        await uow.commit()
    assert first == [Change("parent:P1:address", {}, vars(HOME))]
    assert again == [] and none_given == []
    assert moved == [Change("parent:P1:address", vars(HOME), vars(MOVED))]
    async with uow:
        assert await uow.registry.addresses("P1") == [
            AddressVersion("P1", HOME, DAY, "a.csv"),
            AddressVersion("P1", MOVED, later, "b.csv"),
        ]
        assert await uow.registry.addresses("P2") == []
        parent = await uow.registry.parent("P1")
        [of_pupil] = [p for p in await uow.registry.parents_of(UPN) if p.parent_id == "P1"]
    assert parent is not None and parent.address == MOVED and parent.phone == "01206 555123"
    assert of_pupil.address == MOVED and of_pupil.phone == "01206 555123"


async def test_one_mailbox_under_another_spelling_finds_its_holder(uow: UnitOfWork) -> None:
    await seed(uow)
    async with uow:
        assert await uow.registry.parents_with_email("Alex+school@EXAMPLE.org") == ["P1"]
        assert await uow.registry.parents_with_email("alex.x@example.org") == []
    await consent(uow, "P3", "jo.taylor@gmail.com")
    async with uow:
        found = await uow.consents.with_address("JoTaylor+x@googlemail.com")
    assert [c.parent_id for c in found] == ["P3"]
