"""Checks on free text: citizens' CPR numbers must never be stored in it (one rule for every feature)."""

from __future__ import annotations

import re

CPR_PATTERNS = (
    # ddmmyy-xxxx, with a dash (or en dash), spaces allowed around it
    re.compile(r"(?<!\d)\d{6}\s?[-–]\s?\d{4}(?!\d)"),
    # ddmmyy xxxx with a plain space, when the first six digits can be a date
    re.compile(r"(?<!\d)[0-3]\d[01]\d\d\d \d{4}(?!\d)"),
    # ten digits in a row, but not a phone number written +45xxxxxxxx
    re.compile(r"(?<![\d+])\d{10}(?!\d)"),
)


def contains_cpr(text: str | None) -> bool:
    return bool(text) and any(p.search(text) for p in CPR_PATTERNS)
