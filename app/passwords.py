"""Password and PIN hashing with argon2id, and the password policy (OWASP ASVS 4.0.3 V2.1).

The policy applies wherever a person chooses a password (admin screens, `flask users`, settings);
the contract's demo users keep their password `demo` because demo data is loaded without it.

- V2.1.1/V2.1.2: 12 to 128 characters, counted after Unicode NFKC normalisation (V2.1.4: any
  Unicode character, spaces included; nothing is truncated).
- V2.1.9: no composition rules (no "one digit and one capital letter").
- V2.1.7: refused when it is a common or breached password: the ~20,000 most common passwords
  (Django's list, built from breach corpora by Royce Williams) plus Danish-flavoured ones, in
  app/common_passwords.txt, compared case-insensitively, also with a short run of digits or
  punctuation around it ("Password2024!") and without spaces and separators.
- Not the username, nor a part of the person's name (three letters or more).
- Not one character repeated or a keyboard/number sequence ("aaaaaaaaaaaa", "123456789012").
"""

from __future__ import annotations

import re
import string
import unicodedata
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
# PINs are short, so the hash must be slow; argon2's defaults already are (~50 ms).
_DUMMY_HASH = _hasher.hash("timing-equaliser")

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "common_passwords.txt"


def normalise(secret: str) -> str:
    """NFKC: the same password typed on another keyboard or phone gives the same characters."""
    return unicodedata.normalize("NFKC", secret)


def hash_secret(secret: str) -> str:
    return _hasher.hash(normalise(secret))


def verify_secret(stored_hash: str | None, secret: str) -> bool:
    """Constant-ish time: an unknown user still costs one verification."""
    candidates = [normalise(secret)]
    if candidates[0] != secret:
        candidates.append(secret)  # a hash made before passwords were normalised
    for candidate in candidates:
        try:
            if _hasher.verify(stored_hash or _DUMMY_HASH, candidate) and stored_hash:
                return True
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            pass
    return False


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(normalise(line).casefold() for line in lines if line and not line.startswith("# "))


_AROUND = string.digits + string.punctuation + " "
_SEPARATORS = re.compile(r"[\s._\-]+")
_SEQUENCES = ("0123456789" * 3, "abcdefghijklmnopqrstuvwxyz" * 2, "qwertyuiopasdfghjklzxcvbnm" * 2,
              "qwertzuiopasdfghjklyxcvbnm" * 2, "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/-['=]" * 2)


def is_common(password: str) -> bool:
    """True for a common or breached password, also with a few digits or signs around it."""
    words = common_passwords()
    low = normalise(password).casefold()
    for candidate in {low, _SEPARATORS.sub("", low)}:
        if candidate in words:
            return True
        core = candidate.strip(_AROUND)
        if core and len(candidate) - len(core) <= 6 and core in words:
            return True
    return False


def _trivial(low: str) -> bool:
    if len(set(low)) <= 3:  # "aaaaaaaaaaaa", "abababababab"
        return True
    return any(low in seq or low in seq[::-1] for seq in _SEQUENCES)


def personal_words(username: str = "", name: str = "") -> list[str]:
    parts = [username, *re.split(r"[\s.,_\-]+", name or "")]
    return [p.casefold() for p in (normalise(x.strip()) for x in parts) if len(p) >= 3]


def password_problem(password: str, username: str = "", name: str = "") -> str | None:
    """Why a new password is refused (a lazy Babel message), or None when it may be used."""
    from flask_babel import lazy_gettext as _l

    password = normalise(password or "")
    if len(password) < MIN_PASSWORD_LENGTH:
        return _l("The password must be at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return _l("The password can be at most %(n)d characters.", n=MAX_PASSWORD_LENGTH)
    low = password.casefold()
    for word in personal_words(username, name):
        if word in low:
            if username and word == normalise(username).casefold():
                return _l("The password must not contain the username.")
            return _l("The password must not contain your name.")
    if is_common(password) or _trivial(low):
        return _l("That password is too common and easy to guess. A sentence of a few words is easy to "
                  "remember and hard to guess.")
    return None
