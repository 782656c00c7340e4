"""The demo's families: 300 pupils with a surname each family shares, a date of birth in their
year group, and parents' names and addresses that agree with them."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

FIRST = ["Sam", "Alex", "Jo", "Priya", "Tom", "Aisha", "Leo", "Maya", "Noah", "Zara"]
MOTHERS = ["Claire", "Fatima", "Emma", "Grace", "Nadia", "Ruth", "Sophie", "Joanne"]
FATHERS = ["David", "Imran", "James", "Kwame", "Mark", "Oliver", "Piotr", "Steven"]
SURNAMES = [
    "Taylor", "Khan", "Patel", "Smith", "Okafor", "Jones", "Nowak", "Brown", "Wilson", "Ahmed",
    "Evans", "Murphy", "Clarke", "Hughes", "Walsh", "Begum", "Green", "Hall", "Wood", "Lewis",
    "Mensah", "Kowalski", "Roberts", "Price", "Turner", "Reid", "Ali", "Shaw", "Cole", "Fox",
]  # fmt: skip


@dataclass(frozen=True)
class Family:
    """One pupil and their parents: one surname, and a date of birth in their year group."""

    upn: str
    first: str
    surname: str
    born: date
    year: int

    @property
    def mother(self) -> str:
        return f"{MOTHERS[int(self.upn[1:]) % len(MOTHERS)]} {self.surname}"

    @property
    def father(self) -> str:
        return f"{FATHERS[int(self.upn[1:]) % len(FATHERS)]} {self.surname}"


def families(rnd: random.Random) -> list[Family]:
    families = []
    for n in range(1, 301):
        year = 1 + n % 6  # Years 1 to 6 in 2025/26: born September to August, 6 to 11 years before
        born = date(2025 - 5 - year, 9, 1) + timedelta(days=rnd.randrange(365))
        families.append(Family(f"D{n:012d}", rnd.choice(FIRST), _surname(n), born, year))
    return families


def _surname(n: int) -> str:
    return SURNAMES[(n * 7) % len(SURNAMES)]


def mother_email(upn: str) -> str:
    """The address the pupil's mother gave (her own first name and the family's surname)."""
    n = int(upn[1:])
    return f"{MOTHERS[n % len(MOTHERS)].lower()}.{_surname(n).lower()}{n}@example.org"
