"""Helpers for the admin tests: sign in as the demo administrator, post forms with the CSRF token."""

from __future__ import annotations

import pytest


@pytest.fixture
def admin(client, auth):
    """The test client signed in as `admin`; `admin.post(path, data)` adds the CSRF token."""
    auth.login("admin")
    assert auth.csrf_token

    class _Admin:
        def get(self, path, **kwargs):
            return client.get(path, **kwargs)

        def post(self, path, data=None, **kwargs):
            return client.post(path, data={"csrf_token": auth.csrf_token, **(data or {})}, **kwargs)

    return _Admin()


UNIT_FORM = {
    "name": "Jobcenter Nord",
    "opens_at": "08:00",
    "closes_at": "16:00",
    "open_weekdays": ["1", "2", "3", "4", "5"],
    "reminder_before_s": "",
    "grace_s": "",
    "ack_timeout_s": "",
    "crisis_line": "87 10 89 00",
    "crisis_line_name": "Human House (Trivselsordningen)",
    "police_emergency": "112",
    "police_service": "114",
    "sms_for_level2": "y",
    "easy_deadline_days": "9",
    "follow_up_after_days": "2",
    "active": "y",
}
