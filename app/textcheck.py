"""Checks on free text: citizens' CPR numbers must never be stored in it."""

from __future__ import annotations

import re

# ddmmyy-xxxx (with or without the dash/space) or any ten digits in a row.
_CPR = re.compile(r"(?<!\d)(?:[0-3]\d[01]\d\d\d[-\s]?\d{4}|\d{10})(?!\d)")


def contains_cpr(text: str | None) -> bool:
    return bool(text) and bool(_CPR.search(text))
