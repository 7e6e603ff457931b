"""Password hashing with argon2id (the OWASP recommendation), with a policy on length.

Parameters are argon2-cffi's defaults (RFC 9106 low-memory profile); a hash made with older
parameters is upgraded at the next successful login.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from regulars.domain.errors import ValidationError

MIN_LENGTH = 10
MAX_LENGTH = 1024  # argon2 takes any length; a bound keeps a login request cheap

_hasher = PasswordHasher()
# Verified when the user is unknown, so a wrong e-mail costs as much time as a wrong password.
_DUMMY = _hasher.hash("not a real password, only for timing")


def check_policy(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationError(
            f"the password is too short: at least {MIN_LENGTH} characters", field="password"
        )
    if len(password) > MAX_LENGTH:
        raise ValidationError(
            f"the password is too long: at most {MAX_LENGTH} characters", field="password"
        )


def hash_password(password: str) -> str:
    check_policy(password)
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when the password matches; an absent hash still costs one verification."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)
