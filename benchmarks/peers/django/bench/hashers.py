from django.contrib.auth.hashers import PBKDF2PasswordHasher


class SetupPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """
    PBKDF2 at 1,000 iterations for the benchmark's own users: logins only set
    a run up and are never timed (as the Node servers' cheap Argon2id). First
    in PASSWORD_HASHERS, so a login never rehashes at Django's 260,000.
    """

    iterations = 1000
