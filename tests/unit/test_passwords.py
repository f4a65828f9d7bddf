"""The password policy and the argon2 hashes (iku.accounts)."""

from __future__ import annotations

import pytest

from iku.accounts import hash_password, password_problems
from iku.i18n import using


@pytest.mark.parametrize(
    ("password", "username", "problem"),
    [
        ("pendek123", "rina", "minimal 12 karakter"),  # too short
        ("rina-dari-biro-organisasi", "rina", "nama pengguna"),  # contains the username
        ("password1234", "rina", "terlalu umum"),  # a common word and digits
        ("Lampung2026!!", "rina", "terlalu umum"),
        ("123456789012", "rina", "terlalu umum"),
        ("aaaaaaaaaaaaaa", "rina", "terlalu umum"),
        ("bismillah12345", "rina", "terlalu umum"),
    ],
)
def test_weak_passwords_are_refused_in_indonesian(
    password: str, username: str, problem: str
) -> None:
    assert any(problem in p for p in password_problems(password, username))


@pytest.mark.parametrize("password", ["kuda-lumping-makan-sambal", "Tapis Lampung 7 warna"])
def test_good_passwords_pass(password: str) -> None:
    assert password_problems(password, "rina") == []


def test_messages_follow_the_language() -> None:
    with using("en"):
        assert password_problems("short", "x") == [
            "The password must be at least 12 characters long."
        ]


def test_hashes_are_argon2id_and_salted() -> None:
    first, second = (
        hash_password("kuda-lumping-makan-sambal"),
        hash_password("kuda-lumping-makan-sambal"),
    )
    assert first.startswith("$argon2id$") and first != second
