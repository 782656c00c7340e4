"""The UPN check letter, by the DfE's rule (weights 2 to 13, modulo 23, no I, O or S)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from attendance.upn import ALPHABET, check_letter, upn_problem


def test_a_upn_with_its_own_check_letter_is_valid() -> None:
    assert upn_problem("P123456789013") is None
    assert upn_problem("L201234567890") is None


def test_a_wrong_check_letter_says_which_letter_the_digits_call_for() -> None:
    assert upn_problem("A201234567890") == (
        "'A201234567890' has the check letter A but its digits call for L"
    )


def test_a_temporary_upn_ends_in_a_letter_counted_by_the_same_alphabet() -> None:
    body = "20123456789A"
    upn = check_letter("X" + body) + body
    assert upn_problem(upn) is None and upn_problem(upn[:-1] + "I") is not None


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_any_twelve_digits_get_one_valid_check_letter(digits: str) -> None:
    letter = check_letter("X" + digits)
    assert letter in ALPHABET and upn_problem(letter + digits) is None
    wrong = next(c for c in ALPHABET if c != letter)
    assert upn_problem(wrong + digits) is not None
