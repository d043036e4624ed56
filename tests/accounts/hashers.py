"""Argon2 with small cost parameters, for tests only: same algorithm and ``argon2$`` format, but
milliseconds instead of most of a second per hash on a busy CI machine. Production uses
Django's ``Argon2PasswordHasher`` (``test_production_hasher_is_argon2`` checks the setting)."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 1024
    parallelism = 1
