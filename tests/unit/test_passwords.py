"""Password hashing: Argon2id, salted, and verification that never raises."""

from __future__ import annotations

import pytest

from conecta.auth.passwords import hash_password, verify_password


def test_hash_is_argon2id_and_salted() -> None:
    first = hash_password("s3cret-enough")
    second = hash_password("s3cret-enough")
    assert first.startswith("$argon2id$")
    assert "s3cret-enough" not in first
    assert first != second  # a fresh salt every time


@pytest.fixture(scope="module")
def stored() -> str:
    """One hash for the module: Argon2 is slow on purpose."""
    return hash_password("s3cret-enough")


def test_the_right_password_verifies(stored) -> None:
    assert verify_password(stored, "s3cret-enough") is True


@pytest.mark.parametrize("attempt", ["s3cret-enougH", "", "s3cret-enough "])
def test_a_wrong_password_does_not_verify(stored, attempt) -> None:
    assert verify_password(stored, attempt) is False


@pytest.mark.parametrize("stored", [None, "", "not-a-hash", "$argon2id$broken"])
def test_a_missing_or_broken_hash_never_verifies(stored) -> None:
    # A portal client without a password yet has no hash: sign-in fails instead of raising.
    assert verify_password(stored, "anything") is False
