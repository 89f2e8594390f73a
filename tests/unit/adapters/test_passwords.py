"""Argon2id password hashes."""

from __future__ import annotations

from accord.adapters.passwords import Argon2PasswordHasher

hasher = Argon2PasswordHasher()


def test_a_password_verifies_against_its_argon2id_hash() -> None:
    stored = hasher.hash("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert hasher.verify(stored, "correct horse battery staple")


def test_a_wrong_password_does_not_verify() -> None:
    stored = hasher.hash("correct horse battery staple")
    assert not hasher.verify(stored, "correct horse battery stapler")


def test_the_same_password_hashes_differently_each_time() -> None:
    assert hasher.hash("same password here") != hasher.hash("same password here")


def test_a_malformed_hash_verifies_nothing() -> None:
    assert not hasher.verify("not-a-hash", "anything at all")


def test_hashes_made_with_other_parameters_verify_and_ask_to_be_rehashed() -> None:
    older = Argon2PasswordHasher(time_cost=1, memory_cost=8192)
    stored = older.hash("an older password")
    assert hasher.verify(stored, "an older password")
    assert hasher.needs_rehash(stored)
    assert not hasher.needs_rehash(hasher.hash("a current password"))
