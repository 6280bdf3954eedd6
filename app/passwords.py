"""Password and PIN hashing with argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
# PINs are short, so the hash must be slow; argon2's defaults already are (~50 ms).
_DUMMY_HASH = _hasher.hash("timing-equaliser")


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(stored_hash: str | None, secret: str) -> bool:
    """Constant-ish time: an unknown user still costs one verification."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, secret) and bool(stored_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


MIN_PASSWORD_LENGTH = 10


def password_problem(password: str, username: str = "") -> str | None:
    """Why a new password is refused (a message id for Babel), or None."""
    from flask_babel import lazy_gettext as _l

    if len(password) < MIN_PASSWORD_LENGTH:
        return _l("The password must be at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    if username and username.lower() in password.lower():
        return _l("The password must not contain the username.")
    if password.lower() in {"password123", "1234567890", "qwertyuiop", "makker1234"}:
        return _l("That password is too easy to guess.")
    return None
