"""The password hasher of tests that are not about hashing."""

from django.contrib.auth.hashers import Argon2PasswordHasher

# For PASSWORD_HASHERS.
QUICK_ARGON2 = "qa.hashers.QuickArgon2PasswordHasher"


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 at its lowest cost (one pass over 1 MiB, one lane): for sites that check hundreds of
    passwords in tests that count the checks rather than time them. Never for production."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1
