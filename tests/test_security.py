"""Password hashing and tokens."""

from __future__ import annotations

from argon2 import PasswordHasher

from segur_app.core import security


def test_argon2id_with_owasp_parameters():
    digest = security.hash_password("Segur2023!")
    assert digest.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in digest
    assert security.verify_password(digest, "Segur2023!")
    assert not security.verify_password(digest, "Segur2023?")
    assert not security.verify_password("not-a-hash", "Segur2023!")
    assert not security.needs_rehash(digest)


def test_weaker_hashes_are_flagged_for_rehash():
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("x")
    assert security.needs_rehash(weak)
    assert security.verify_password(weak, "x")


def test_tokens_are_random_and_stored_hashed():
    tokens = {security.new_token() for _ in range(100)}
    assert len(tokens) == 100
    token = tokens.pop()
    assert len(token) >= 43  # 32 bytes of entropy, base64url
    digest = security.hash_token(token)
    assert len(digest) == 64 and digest != token
    assert security.session_key(token) == digest and security.session_key("") == ""
