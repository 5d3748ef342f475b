"""Console passwords: scrypt hashes that name their cost, constant answers for bad input."""

import pytest

from gateway.domain.passwords import (
    PasswordRejected,
    ScryptCost,
    check_password_rules,
    hash_password,
    needs_rehash,
    verify_password,
)


def test_a_hash_verifies_its_password_only() -> None:
    stored = hash_password("correct horse battery staple")
    assert stored.startswith("scrypt$15$8$1$")
    assert verify_password("correct horse battery staple", stored)
    assert not verify_password("correct horse battery stapl", stored)
    assert hash_password("correct horse battery staple") != stored  # a fresh salt each time


def test_no_hash_or_a_malformed_one_never_verifies() -> None:
    assert not verify_password("anything at all", None)
    assert not verify_password("anything at all", "sha256$abc")
    assert not verify_password("x" * 2000, hash_password("a real password here"))


def test_a_hash_of_older_parameters_still_verifies_and_asks_to_be_redone() -> None:
    cheap = ScryptCost(log2_n=10, r=8, p=1)
    stored = hash_password("correct horse battery staple", cheap)
    assert stored.startswith("scrypt$10$")
    assert verify_password("correct horse battery staple", stored)
    assert needs_rehash(stored)
    assert not needs_rehash(hash_password("correct horse battery staple"))


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 12"),
        ("alice-is-my-password", "user name"),
        ("y" * 1025, "longer than 1024"),
    ],
)
def test_password_rules(password: str, message: str) -> None:
    with pytest.raises(PasswordRejected, match=message):
        check_password_rules(password, "alice")
    check_password_rules("a phrase of several words", "alice")
