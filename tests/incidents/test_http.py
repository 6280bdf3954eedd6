"""The incident pages through the real app: quick draft, access rules, audit, review, exports."""

from __future__ import annotations

import csv
import io
import re
import zlib

import pytest
from sqlalchemy import func, select

from app.admin.services import find_user
from app.models import AuditEntry, Incident, Notification
from tests.incidents.conftest import add_visit_with_alert

HX = {"HX-Request": "true"}


def form_action(html: str) -> str:
    return re.search(r'id="draft-form"[^>]*action="(/incidents/[0-9a-f-]+/save)"', html, re.S).group(1)


def new_form(client) -> tuple[str, str, str]:
    html = client.get("/incidents/new").get_data(as_text=True)
    action = form_action(html)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    return action, action.split("/")[2], token


def test_quick_draft_page_has_big_choices_in_danish(client, auth):
    auth.login("anna")
    html = client.get("/incidents/new").get_data(as_text=True)
    assert "Ny hændelse" in html
    for label in ("Trussel", "Vold", "Krænkende handling", "Seksuel chikane", "Mobning", "Nærved-hændelse",
                  "Arbejdsulykke", "Personligt", "Telefon", "Mail/digitalt", "Internt", "Uden for arbejdstid"):
        assert f"<span>{label}</span>" in html
    assert 'class="choice"' in html and 'hx-trigger="change delay:800ms' in html
    assert 'type="datetime-local"' in html and 'value="2026-11-26T10:00"' in html  # now, in Copenhagen
    assert " style=" not in html and "<script>" not in html  # CSP


def test_autosave_creates_then_updates_and_says_when(client, auth, db, clock):
    auth.login("anna")
    action, incident_id, token = new_form(client)
    data = {"csrf_token": token, "kind": "offensive", "context": "digital", "description": "Grim mail",
            "occurred_at": "2026-11-26T09:45"}
    response = client.post(action, data=data, headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Replace-Url"] == f"/incidents/{incident_id}/edit"
    body = response.get_data(as_text=True)
    assert "Gemt 10:00" in body  # 09:00 UTC is 10:00 in Copenhagen
    assert "Indgå ikke i dialog med krænkeren" in body and "Kontakt din kontorleder og din AMR." in body
    clock.advance(minutes=2)
    data.update(description="Grim mail med trusler", absence_expected="y", police="wants_report")
    response = client.post(action, data=data, headers=HX)
    assert "HX-Replace-Url" not in response.headers
    body = response.get_data(as_text=True)
    assert "Gemt 10:02" in body
    assert "Der skal laves en EASY-anmeldelse." in body and "5. december 2026" in body  # 9 days
    assert "72 timer" in body
    with db as session:
        incident = session.get(Incident, incident_id)
        assert incident.description == "Grim mail med trusler" and incident.status == "draft"
        assert incident.occurred_at.isoformat() == "2026-11-26T08:45:00+00:00"
        assert incident.absence_expected and incident.police == "wants_report"
        assert session.execute(select(func.count()).select_from(Incident)).scalar_one() == 1


def test_cpr_in_a_field_is_refused_with_a_danish_message_and_changes_nothing(client, auth, db):
    auth.login("anna")
    action, incident_id, token = new_form(client)
    client.post(action, data={"csrf_token": token, "description": "Første"}, headers=HX)
    response = client.post(action, data={"csrf_token": token, "description": "Anden",
                                         "involved": "Borgeren (010203-1234)"}, headers=HX)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Det ligner et CPR-nummer" in body and "Intet er gemt" in body
    assert 'id="err-involved"' in body
    # Without htmx: the page again, with the message at the field.
    response = client.post(action, data={"csrf_token": token, "witnesses": "2203041234"})
    assert response.status_code == 422 and "Det ligner et CPR-nummer" in response.get_data(as_text=True)
    with db as session:
        incident = session.get(Incident, incident_id)
        assert incident.description == "Første" and incident.involved == "" and incident.witnesses == ""


def test_submit_from_the_form_notifies_and_shows_the_incident(client, auth, db):
    auth.login("anna")
    action, incident_id, token = new_form(client)
    response = client.post(f"/incidents/{incident_id}/submit", data={
        "csrf_token": token, "kind": "threat", "context": "phone", "description": "Truede i telefonen",
        "occurred_at": "2026-11-26T09:50"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/incidents/{incident_id}")
    html = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert "Indsendt" in html and "Truede i telefonen" in html
    with db as session:
        recipients = session.execute(select(Notification.recipient_id).where(
            Notification.step_key == f"incident:{incident_id}:submitted")).scalars().all()
        assert sorted(recipients) == sorted([find_user(session, "lene").id, find_user(session, "ali").id])
    # Again: refused (already submitted), nothing new.
    client.post(f"/incidents/{incident_id}/submit", data={"csrf_token": token})
    with db as session:
        assert session.execute(select(func.count()).select_from(Notification)).scalar_one() == 2


def test_submit_without_kind_shows_the_form_again(client, auth, db):
    auth.login("anna")
    action, incident_id, token = new_form(client)
    response = client.post(f"/incidents/{incident_id}/submit", data={"csrf_token": token, "description": "x"})
    assert response.status_code == 422
    assert "Vælg hvad der skete og hvordan" in response.get_data(as_text=True)
    with db as session:
        assert session.get(Incident, incident_id).status == "draft"


def test_state_changes_need_csrf(client, auth, make_draft):
    incident_id = make_draft("anna")
    auth.login("anna")
    assert client.post(f"/incidents/{incident_id}/submit", data={}).status_code == 400


def test_access_rules(app, make_client, make_draft, other_unit, db):
    draft_id = make_draft("anna")
    sent_id = make_draft("anna", submit=True)
    people = {u: make_client(u)[0] for u in ("anna", "bo", "lene", "ali", "admin", "sara")}
    expected = {
        # who: (draft, submitted)
        "anna": (200, 200), "bo": (404, 404), "lene": (404, 200), "ali": (404, 200),
        "admin": (404, 404), "sara": (404, 404),
    }
    for who, (draft_status, sent_status) in expected.items():
        c = people[who]
        assert c.get(f"/incidents/{draft_id}").status_code == draft_status, who
        assert c.get(f"/incidents/{sent_id}").status_code == sent_status, who
        assert c.get(f"/api/v1/incidents/{sent_id}").status_code == sent_status, who
        assert c.get(f"/incidents/{sent_id}/pdf").status_code == sent_status, who
        assert c.get(f"/incidents/{sent_id}/print").status_code == sent_status, who
        listed = [i["id"] for i in c.get("/api/v1/incidents").get_json()["incidents"]]
        assert (sent_id in listed) == (sent_status == 200), who
        assert (draft_id in listed) == (who == "anna"), who
    for who in ("bo", "admin", "anna"):
        assert people[who].get("/incidents/review").status_code == 404
    assert "Anna Jensen" in people["lene"].get("/incidents/review").get_data(as_text=True)
    assert "Anna Jensen" not in people["sara"].get("/incidents/review").get_data(as_text=True)
    # Statistics: leaders, AMRs and admin; not staff.
    assert people["bo"].get("/incidents/statistics").status_code == 404
    assert people["admin"].get("/incidents/statistics").status_code == 200
    assert people["admin"].get("/incidents/export.csv").status_code == 200


def test_reads_by_others_are_audited_and_shown_to_the_author(client, auth, make_client, make_draft, db, clock):
    incident_id = make_draft("anna", submit=True)
    lene, _ = make_client("lene")
    lene.get(f"/incidents/{incident_id}")
    clock.advance(minutes=5)
    lene.get(f"/api/v1/incidents/{incident_id}")
    ali, _ = make_client("ali")
    ali.get(f"/incidents/{incident_id}/pdf")
    auth.login("anna")
    client.get(f"/incidents/{incident_id}")  # the author's own reads are not listed
    with db as session:
        entries = session.execute(select(AuditEntry).where(AuditEntry.action == "incident.read")).scalars().all()
        anna_id = find_user(session, "anna").id
        assert len(entries) == 3
        assert {e.subject_user_id for e in entries} == {anna_id}
        assert sorted(e.detail["via"] for e in entries) == ["api", "page", "pdf"]
    html = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    readers = html[html.index('id="readers"'):]
    assert "Lene Holm" in readers and "Læst 2 gange" in readers
    assert "Ali Hassan" in readers and "Læst én gang" in readers
    api = client.get(f"/api/v1/incidents/{incident_id}/readers").get_json()["readers"]
    assert {r["name"]: r["count"] for r in api} == {"Lene Holm": 2, "Ali Hassan": 1}
    assert make_client("lene")[0].get(f"/api/v1/incidents/{incident_id}/readers").status_code == 404


def test_leader_review_flow_with_comments_and_checklist(client, auth, make_client, make_draft, db, clock):
    incident_id = make_draft("anna", submit=True)
    lene, _ = make_client("lene")
    assert "Til gennemsyn" in lene.get("/incidents/").get_data(as_text=True)
    review = lene.get("/incidents/review").get_data(as_text=True)
    assert "Anna Jensen" in review and "Trussel" in review
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', lene.get(f"/incidents/{incident_id}").get_data(
        as_text=True)).group(1)
    headers = {**HX, "X-CSRFToken": token}
    # Checklist before the review has begun: refused.
    response = lene.post(f"/incidents/{incident_id}/checks/cared_for", data={}, headers=headers)
    assert response.status_code == 422 and "Påbegynd først gennemsynet" in response.get_data(as_text=True)
    panel = lene.post(f"/incidents/{incident_id}/status", data={"to": "in_review"}, headers=headers)
    assert panel.status_code == 200 and "Under gennemsyn" in panel.get_data(as_text=True)
    assert "<html" not in panel.get_data(as_text=True)  # the partial
    # Registering without a SafetyNet reference: refused.
    response = lene.post(f"/incidents/{incident_id}/status", data={"to": "registered"}, headers=headers)
    assert response.status_code == 422 and "SafetyNet-referencen" in response.get_data(as_text=True)
    # Ask for more detail; the author sees and answers it.
    comments = lene.post(f"/incidents/{incident_id}/comments", data={"body": "Var der andre til stede?"},
                         headers=headers)
    assert comments.status_code == 200 and "Var der andre til stede?" in comments.get_data(as_text=True)
    auth.login("anna")
    page = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert "Var der andre til stede?" in page
    client.post(f"/incidents/{incident_id}/comments", data={"body": "Ja, Bo."},
                headers={**HX, "X-CSRFToken": auth.csrf_token})
    assert "Ja, Bo." in lene.get(f"/incidents/{incident_id}").get_data(as_text=True)
    # Checklist with who and when.
    with db as session:
        ali_id = find_user(session, "ali").id
    steps = [
        ("cared_for", {"note": "Talt med Anna"}),
        ("help_started", {"choice": "crisis_line"}),
        ("group_informed", {}),
        ("safetynet", {"reference": "SN-2026-0042", "on_date": "2026-11-26", "with_user": str(ali_id)}),
        ("police_report", {"choice": "not_relevant"}),
    ]
    for item, data in steps:
        response = lene.post(f"/incidents/{incident_id}/checks/{item}", data=data, headers=headers)
        assert response.status_code == 200, (item, response.get_data(as_text=True))
    panel = response.get_data(as_text=True)
    assert "Lene Holm, 26. nov. 10:00" in panel and "ref. SN-2026-0042" in panel and "med Ali Hassan" in panel
    assert "Krisehjælp tilbudt" in panel
    lene.post(f"/incidents/{incident_id}/status", data={"to": "registered"}, headers=headers)
    # Closing needs the follow-up conversation.
    response = lene.post(f"/incidents/{incident_id}/status", data={"to": "closed"}, headers=headers)
    assert response.status_code == 422
    clock.advance(days=2)
    lene.post(f"/incidents/{incident_id}/followup", data={"action": "held"}, headers=headers)
    response = lene.post(f"/incidents/{incident_id}/status", data={"to": "closed"}, headers=headers)
    assert response.status_code == 200 and "Afsluttet" in response.get_data(as_text=True)
    with db as session:
        incident = session.get(Incident, incident_id)
        assert incident.status == "closed" and incident.followup_held_at is not None
        assert incident.check("safetynet").reference == "SN-2026-0042"


def test_staff_and_other_unit_cannot_change_status(make_client, make_draft, other_unit, db):
    incident_id = make_draft("anna", submit=True)
    for who, expected in (("bo", 404), ("sara", 404), ("anna", 403)):
        c, actions = make_client(who)
        response = c.post(f"/incidents/{incident_id}/status", data={"to": "in_review"}, headers=actions.headers())
        assert response.status_code == expected, who
    with db as session:
        assert session.get(Incident, incident_id).status == "submitted"


def test_prefill_from_alert_and_visit(client, auth, make_client, db, clock):
    with db as session:
        anna, bo, lene = (find_user(session, u) for u in ("anna", "bo", "lene"))
        visit_id, alert_id = add_visit_with_alert(session, clock, anna, bo)
        quiet_visit, _ = add_visit_with_alert(session, clock, anna, bo, with_alert=False)
    auth.login("anna")
    html = client.get(f"/incidents/new?alert_id={alert_id}").get_data(as_text=True)
    assert "Nørregade 4, 2. tv." in html and 'value="2026-11-26T09:55"' in html
    assert f'value="{visit_id}"' in html and f'value="{alert_id}"' in html
    assert client.get(f"/incidents/new?visit_id={quiet_visit}").status_code == 200
    # The buddy and the unit's leader respond to the alert; the place of a visit without one stays sealed.
    for who in ("bo", "lene"):
        c, _ = make_client(who)
        assert c.get(f"/incidents/new?alert_id={alert_id}").status_code == 200, who
        assert c.get(f"/incidents/new?visit_id={visit_id}").status_code == 200, who
        assert c.get(f"/incidents/new?visit_id={quiet_visit}").status_code == 404, who
    for who in ("ali", "admin"):  # ali responds (AMR, level 2); admin does not
        c, _ = make_client(who)
        assert c.get(f"/incidents/new?alert_id={alert_id}").status_code == (200 if who == "ali" else 404)
    # Saving with a link one may not use: 404, nothing stored.
    c, actions = make_client("admin")
    action, incident_id, token = new_form(c)
    response = c.post(action, data={"csrf_token": token, "alert_id": alert_id, "description": "x"}, headers=HX)
    assert response.status_code == 404
    # The worker's draft keeps the link.
    action, incident_id, token = new_form(client)
    client.post(action, data={"csrf_token": token, "alert_id": alert_id, "visit_id": visit_id,
                              "description": "Under besøget"}, headers=HX)
    with db as session:
        incident = session.get(Incident, incident_id)
        assert incident.alert_id == alert_id and incident.visit_id == visit_id
        assert session.get(Incident, incident_id) is not None
        assert session.execute(select(func.count()).select_from(Incident)).scalar_one() == 1


def _pdf_text(data: bytes) -> str:
    text = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            text.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            text.append(stream.decode("latin-1"))
    return "\n".join(text)


def test_pdf_and_print_page_in_safetynet_order(make_client, make_draft):
    incident_id = make_draft("anna", submit=True, kind="sexual_harassment", description="Bemærkninger om mit udseende")
    lene, _ = make_client("lene")
    response = lene.get(f"/incidents/{incident_id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    text = _pdf_text(response.data)
    assert "Seksuel chikane" in text and "Bem\xe6rkninger om mit udseende" in text
    assert text.index("Hændelsestype") < text.index("SafetyNet-reference")
    html = lene.get(f"/incidents/{incident_id}/print").get_data(as_text=True)
    assert html.index("Hændelsestype") < html.index("Hvad skete der") < html.index("SafetyNet-reference")
    assert "Lederens tjekliste" in html and " style=" not in html


def test_csv_download_parses_back(make_client, make_draft):
    make_draft("anna", submit=True, description="Første")
    make_draft("bo", submit=True, kind="near_miss", context="internal", description="Anden")
    make_draft("anna", description="Kladde")  # not exported
    lene, _ = make_client("lene")
    response = lene.get("/incidents/export.csv?start=2026-11-01&end=2026-11-30")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(r["Hvad skete der"] for r in rows) == ["Anden", "Første"]
    assert {r["Hændelsestype"] for r in rows} == {"Trussel", "Nærved-hændelse"}
    bo, _ = make_client("bo")
    assert bo.get("/incidents/export.csv").status_code == 404


def test_statistics_page_has_table_and_svg_without_names(make_client, make_draft):
    make_draft("anna", submit=True)
    make_draft("bo", submit=True, kind="bullying", context="internal")
    ali, _ = make_client("ali")
    html = ali.get("/incidents/statistics?start=2026-01-01&end=2026-11-30").get_data(as_text=True)
    assert '<svg class="incident-chart"' in html and 'class="chart-bar"' in html
    assert "Mobning" in html and "Trussel" in html and "2 i alt" in html
    assert "Anna Jensen" not in html and "Bo Nielsen" not in html and " style=" not in html


def test_nav_badge_counts_incidents_waiting_for_the_leader(make_client, make_draft):
    make_draft("anna", submit=True)
    make_draft("bo", submit=True)
    make_draft("anna")  # a draft: not waiting
    lene, _ = make_client("lene")
    html = lene.get("/incidents/").get_data(as_text=True)
    nav = html[html.index('class="bottom-nav"'):]
    assert re.search(r'<span class="badge">2</span>', nav)
    bo, _ = make_client("bo")
    assert '<span class="badge">' not in bo.get("/incidents/").get_data(as_text=True)


def test_author_sees_own_draft_list_and_can_delete_a_draft(client, auth, make_draft, db):
    incident_id = make_draft("anna")
    auth.login("anna")
    html = client.get("/incidents/").get_data(as_text=True)
    assert f"/incidents/{incident_id}/edit" in html and "Kladde" in html
    response = client.post(f"/incidents/{incident_id}/delete", data={"csrf_token": auth.csrf_token})
    assert response.status_code == 302
    with db as session:
        assert session.get(Incident, incident_id) is None


def test_remind_command_runs_due_followups(runner, make_draft, clock, db):
    make_draft("anna", submit=True)
    clock.advance(days=2)
    result = runner.invoke(args=["incidents", "remind"])
    assert result.exit_code == 0 and "1 notification(s) written" in result.output
    result = runner.invoke(args=["incidents", "remind"])
    assert "0 notification(s) written" in result.output


@pytest.mark.parametrize("path", ["/incidents/not-a-uuid", "/incidents/00000000-0000-0000-0000-000000000000/pdf"])
def test_unknown_incidents_are_404(client, auth, path):
    auth.login("anna")
    assert client.get(path).status_code == 404
