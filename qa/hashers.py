"""Password hashers of the throwaway test sites."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 at its lowest cost: the test sites check hundreds of passwords, and the tests are
    about how many get checked, not about how long one takes."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1
