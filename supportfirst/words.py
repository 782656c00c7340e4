"""Words in what supportfirst prints: counts are grammatical ("1 pupil", "2 pupils")."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and the noun, singular for one and plural (`noun + "s"` unless given) otherwise."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
