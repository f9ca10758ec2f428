"""Password hashes meet OWASP's argon2id minimum and verify correctly."""

import time

from argon2 import PasswordHasher, Type, extract_parameters

from app.services.passwords import (
    burn_verification_time,
    hash_password,
    needs_rehash,
    verify_password,
)


def test_hash_is_argon2id_at_owasp_strength():
    encoded = hash_password("correct horse battery")
    params = extract_parameters(encoded)
    assert encoded.startswith("$argon2id$")
    assert params.type is Type.ID
    # OWASP Password Storage Cheat Sheet: argon2id with m >= 19 MiB, t >= 2, p >= 1.
    assert params.memory_cost >= 19_456
    assert params.time_cost >= 2
    assert params.salt_len >= 16


def test_salted_and_verifiable():
    a, b = hash_password("same password"), hash_password("same password")
    assert a != b
    assert verify_password(a, "same password")
    assert not verify_password(a, "other password")
    assert not verify_password("not-a-hash", "same password")


def test_weaker_hashes_are_flagged_for_upgrade():
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("pw")
    assert needs_rehash(weak)
    assert not needs_rehash(hash_password("pw"))


def test_dummy_verification_costs_about_one_real_verification():
    stored = hash_password("correct horse battery")
    burn_verification_time("warm up")  # the dummy hash is created once, lazily

    def fastest(func):
        samples = []
        for _ in range(5):
            start = time.perf_counter()
            func()
            samples.append(time.perf_counter() - start)
        return min(samples)  # robust to a busy machine

    real = fastest(lambda: verify_password(stored, "wrong password"))
    dummy = fastest(lambda: burn_verification_time("wrong password"))
    unusable = fastest(lambda: verify_password("!", "wrong password"))  # imported accounts
    assert dummy > real * 0.5 and unusable > real * 0.5
