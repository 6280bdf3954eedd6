"""The audit-log view: the latest 200 entries, newest first, filtered by action."""

from __future__ import annotations

from datetime import timedelta

from app import audit
from app.clock import FakeClock


def test_audit_log_lists_the_latest_200_and_filters_by_action(admin, db):
    clock = FakeClock()
    with db as session:
        for i in range(210):
            clock.advance(60)
            audit.record(session, "test.bulk", actor_id=None, object_type="thing", object_id=i, clock=clock)
        clock.advance(timedelta(minutes=5).total_seconds())
        audit.record(session, "test.rare", actor_id=None, object_type="thing", object_id="rare-one",
                     detail={"changed": ["name", "role"]}, clock=clock)
        session.commit()
    html = admin.get("/admin/audit").get_data(as_text=True)
    assert html.count("<tr>") == 201  # header row + 200 entries
    assert "thing rare-one" in html and "changed: name, role" in html
    assert "thing 0<" not in html  # the oldest fell off the end
    assert html.index("thing rare-one") < html.index("thing 209")  # newest first
    assert '<option value="test.rare"' in html and '<option value="login"' in html

    rare = admin.get("/admin/audit?action=test.rare").get_data(as_text=True)
    assert "thing rare-one" in rare and "test.bulk</code>" not in rare
    fragment = admin.get("/admin/audit?action=login", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="audit-list"') and "<code>login</code>" in fragment
    assert "test.bulk</code>" not in fragment
    # An unknown action is ignored, not an error.
    assert admin.get("/admin/audit?action=%27%3B--").status_code == 200


def test_admin_changes_appear_in_the_audit_log(admin, db):
    from sqlalchemy import select

    from app.models import User

    with db as session:
        anna_id = session.execute(select(User.id).where(User.username == "anna")).scalar_one()
    admin.post(f"/admin/users/{anna_id}/sign-out")
    html = admin.get("/admin/audit?action=user.sign_out_everywhere").get_data(as_text=True)
    assert "<code>user.sign_out_everywhere</code>" in html and f"user {anna_id}" in html
    assert '<small class="audit-actor">admin</small>' in html
