"""Incident domain logic with the FakeClock: status changes, the checklist, follow-up, exports."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.admin.services import find_user
from app.incidents import services
from app.incidents.services import IncidentError
from app.models import AuditEntry, Incident, Notification, OutboxEntry

CHECKS = {
    "cared_for": {},
    "help_started": {"choice": "crisis_line"},
    "group_informed": {},
    "safetynet": {"reference": "SN-2026-114"},
    "police_report": {"choice": "employee_reports"},
}


def new_draft(session, clock, username="anna", **fields):
    user = find_user(session, username)
    data = {"kind": "violence", "context": "in_person", "description": "Hun skubbede mig ind i døren.",
            "place": "Jobcentret, skranke 3", **fields}
    incident, created = services.create_draft(session, clock, user, str(uuid.uuid4()), data)
    assert created
    session.commit()
    return incident


def submitted(session, clock, username="anna", **fields):
    incident = new_draft(session, clock, username, **fields)
    services.submit(session, clock, find_user(session, username), incident)
    session.commit()
    return incident


def notifications(session, step_suffix: str):
    return session.execute(
        select(Notification).where(Notification.step_key.like(f"%:{step_suffix}"))
    ).scalars().all()


def test_full_path_draft_to_closed(db, clock):
    with db as session:
        anna, lene = find_user(session, "anna"), find_user(session, "lene")
        incident = new_draft(session, clock)
        assert incident.status == "draft"
        services.submit(session, clock, anna, incident)
        assert incident.status == "submitted" and incident.submitted_at == clock.now()
        services.transition(session, clock, lene, incident, "in_review")
        assert incident.status == "in_review" and incident.review_started_by_id == lene.id
        for item, extra in CHECKS.items():
            services.set_check(session, clock, lene, incident, item, **extra)
        services.transition(session, clock, lene, incident, "registered")
        assert incident.status == "registered"
        services.mark_followup_held(session, clock, lene, incident)
        services.transition(session, clock, lene, incident, "closed")
        session.commit()
        assert incident.status == "closed" and incident.closed_by_id == lene.id
        actions = session.execute(select(AuditEntry.action).where(AuditEntry.object_id == incident.id)).scalars().all()
        for action in ("incident.create", "incident.submit", "incident.in_review", "incident.registered",
                       "incident.closed"):
            assert action in actions


@pytest.mark.parametrize("status,to", [
    ("draft", "in_review"), ("draft", "registered"), ("draft", "closed"),
    ("submitted", "registered"), ("submitted", "closed"), ("submitted", "submitted"),
    ("in_review", "closed"), ("in_review", "in_review"), ("in_review", "submitted"),
    ("registered", "in_review"), ("registered", "registered"),
    ("closed", "in_review"), ("closed", "registered"), ("closed", "closed"),
])
def test_refused_transitions_change_nothing(db, clock, status, to):
    with db as session:
        incident = new_draft(session, clock)
        incident.status = status
        session.commit()
        actor = find_user(session, "anna" if to == "submitted" else "lene")
        with pytest.raises(IncidentError) as refused:
            services.transition(session, clock, actor, incident, to)
        assert refused.value.status == 409
        session.rollback()
        assert session.get(Incident, incident.id).status == status


def test_who_may_change_what(db, clock):
    with db as session:
        anna, bo, lene, ali, admin = (find_user(session, u) for u in ("anna", "bo", "lene", "ali", "admin"))
        incident = new_draft(session, clock)
        for person in (bo, lene, ali):
            with pytest.raises(IncidentError) as refused:
                services.submit(session, clock, person, incident)
            assert refused.value.status == 403
        services.submit(session, clock, anna, incident)
        for person in (anna, bo, admin):  # the author never reviews their own incident
            with pytest.raises(IncidentError) as refused:
                services.transition(session, clock, person, incident, "in_review")
            assert refused.value.status == 403
        services.transition(session, clock, ali, incident, "in_review")  # an AMR may
        with pytest.raises(IncidentError) as refused:
            services.set_check(session, clock, anna, incident, "cared_for")
        assert refused.value.status == 403
        for item, extra in CHECKS.items():
            services.set_check(session, clock, ali, incident, item, **extra)
        services.transition(session, clock, ali, incident, "registered")
        services.mark_followup_held(session, clock, ali, incident)
        with pytest.raises(IncidentError) as refused:  # closing is the leader's
            services.transition(session, clock, ali, incident, "closed")
        assert refused.value.status == 403
        services.transition(session, clock, lene, incident, "closed")
        assert incident.status == "closed"


def test_amr_closes_when_the_author_is_the_only_leader(db, clock):
    with db as session:
        lene, ali = find_user(session, "lene"), find_user(session, "ali")
        incident = submitted(session, clock, "lene")
        services.transition(session, clock, ali, incident, "in_review")
        for item, extra in CHECKS.items():
            services.set_check(session, clock, ali, incident, item, **extra)
        services.transition(session, clock, ali, incident, "registered")
        services.mark_followup_held(session, clock, ali, incident, declined=True)
        assert services.may_close(session, ali, incident) and not services.may_close(session, lene, incident)
        services.transition(session, clock, ali, incident, "closed")
        assert incident.status == "closed" and incident.followup_declined


def test_register_needs_safetynet_reference_and_close_needs_checklist(db, clock):
    with db as session:
        lene = find_user(session, "lene")
        incident = submitted(session, clock)
        services.transition(session, clock, lene, incident, "in_review")
        with pytest.raises(IncidentError) as refused:
            services.transition(session, clock, lene, incident, "registered")
        assert refused.value.code == "safetynet_missing"
        with pytest.raises(IncidentError) as refused:
            services.set_check(session, clock, lene, incident, "safetynet", reference="  ")
        assert refused.value.field == "reference"
        with pytest.raises(IncidentError):
            services.set_check(session, clock, lene, incident, "help_started", choice="magic")
        with pytest.raises(IncidentError):  # only an AMR of the unit can be "together with"
            services.set_check(session, clock, lene, incident, "safetynet", reference="SN-1", with_user_id=lene.id)
        ali = find_user(session, "ali")
        check = services.set_check(session, clock, lene, incident, "safetynet", reference="SN-1",
                                   with_user_id=ali.id)
        assert check.on_date == date(2026, 11, 26) and check.done_by_id == lene.id and check.done_at == clock.now()
        services.transition(session, clock, lene, incident, "registered")
        with pytest.raises(IncidentError) as refused:
            services.transition(session, clock, lene, incident, "closed")
        assert refused.value.code == "checklist_incomplete"
        assert services.close_blockers(incident) == ["cared_for", "help_started", "group_informed",
                                                     "police_report", "followup"]


def test_submit_needs_kind_context_and_description(db, clock):
    with db as session:
        anna = find_user(session, "anna")
        incident, _ = services.save_draft(session, clock, anna, str(uuid.uuid4()), {"place": "Kontoret"})
        with pytest.raises(IncidentError) as refused:
            services.submit(session, clock, anna, incident)
        assert refused.value.status == 400 and refused.value.field == "kind"
        assert incident.status == "draft"


def test_submit_notifies_each_leader_and_amr_once_through_the_outbox(db, clock):
    with db as session:
        incident = new_draft(session, clock)
        count = services.submit(session, clock, find_user(session, "anna"), incident)
        session.commit()
        assert count == 2
        rows = notifications(session, "submitted")
        assert sorted(n.recipient.username for n in rows) == ["ali", "lene"]
        for n in rows:
            assert n.type == "incident" and n.step_key == f"incident:{incident.id}:submitted"
            assert n.tag == f"incident-{incident.id}"
            assert n.created_at == n.due_at == clock.now()
            assert n.payload["url"] == f"/incidents/{incident.id}" and n.payload["type"] == "incident"
            assert n.payload["title"] == "Ny hændelse: Vold"  # Danish
            assert "Anna Jensen" in n.payload["body"]
            log = session.execute(select(OutboxEntry).where(OutboxEntry.notification_id == n.id,
                                                            OutboxEntry.channel == "log")).scalars().all()
            assert len(log) == 1 and log[0].state == "pending"


def test_cpr_numbers_are_refused_and_nothing_changes(db, clock):
    with db as session:
        anna = find_user(session, "anna")
        incident = new_draft(session, clock, description="Første version")
        before = incident.updated_at
        clock.advance(minutes=1)
        for text in ("Borger 010203-1234 truede", "cpr 0102031234", "ring 1234567890 nu"):
            with pytest.raises(IncidentError) as refused:
                services.save_draft(session, clock, anna, incident.id,
                                    {"description": "Ny version", "involved": text})
            assert refused.value.code == "cpr_number" and refused.value.field == "involved"
            assert "CPR" in refused.value.message
        session.rollback()
        again = session.get(Incident, incident.id)
        assert again.description == "Første version" and again.involved == "" and again.updated_at == before
        # Not CPR numbers: phone numbers, dates, short numbers.
        services.save_draft(session, clock, anna, incident.id,
                            {"involved": "tlf. 20 11 22 01, +4520112201, 26-11-2026, sag 12345678901"})


def test_followup_reminders_until_held_and_the_week_message_once(db, clock):
    with db as session:
        lene = find_user(session, "lene")
        incident = submitted(session, clock)  # the unit's default: follow up after 2 days
        assert incident.followup_due_at == clock.now() + timedelta(days=2)
        assert services.run_due_followups(session, clock) == 0
        clock.advance(days=2)
        assert services.run_due_followups(session, clock) == 1  # to the leader only
        assert services.run_due_followups(session, clock) == 0  # exactly once
        first = notifications(session, "followup:1")
        assert [n.recipient.username for n in first] == ["lene"]
        assert "Opfølgende samtale med Anna Jensen" == first[0].payload["title"]
        clock.advance(hours=23)
        assert services.run_due_followups(session, clock) == 0
        clock.advance(hours=1)
        assert services.run_due_followups(session, clock) == 1  # again each day until held
        assert len(notifications(session, "followup:2")) == 1
        incident = session.get(Incident, incident.id)
        services.transition(session, clock, lene, incident, "in_review")
        services.mark_followup_held(session, clock, lene, incident)
        session.commit()
        clock.advance(days=1)
        assert services.run_due_followups(session, clock) == 0
        clock.advance(days=2)
        assert services.run_due_followups(session, clock) == 0  # six days after: not yet
        clock.advance(days=1)  # a week after the incident
        assert services.run_due_followups(session, clock) == 1
        week = notifications(session, "week")
        assert [n.recipient.username for n in week] == ["anna"]
        assert "Reaktioner kan komme senere" in week[0].payload["body"]
        assert "87 10 89 00" in week[0].payload["body"]
        clock.advance(days=30)
        assert services.run_due_followups(session, clock) == 0
        assert len(notifications(session, "week")) == 1
        assert session.execute(select(func.count()).select_from(OutboxEntry)).scalar_one() >= 5


def test_followup_can_be_moved_and_drafts_never_remind(db, clock):
    with db as session:
        lene = find_user(session, "lene")
        new_draft(session, clock)  # a draft: nobody is reminded, no week message
        incident = submitted(session, clock)
        services.plan_followup(session, clock, lene, incident, clock.now() + timedelta(days=3))
        session.commit()
        clock.advance(days=2)
        assert services.run_due_followups(session, clock) == 0
        clock.advance(days=1)
        assert services.run_due_followups(session, clock) == 1
        clock.advance(days=30)
        services.run_due_followups(session, clock)
        assert len(notifications(session, "week")) == 1


def test_comments_notify_the_other_side(db, clock):
    with db as session:
        anna, lene = find_user(session, "anna"), find_user(session, "lene")
        incident = new_draft(session, clock)
        with pytest.raises(IncidentError):  # nobody to talk to about a draft
            services.add_comment(session, clock, anna, incident, "Hej")
        services.submit(session, clock, anna, incident)
        question = services.add_comment(session, clock, lene, incident, "Hvor stod du i forhold til døren?")
        answer = services.add_comment(session, clock, anna, incident, "Med ryggen til døren.")
        session.commit()
        asked = notifications(session, f"comment:{question.id}")
        assert [n.recipient.username for n in asked] == ["anna"]
        answered = notifications(session, f"comment:{answer.id}")
        assert sorted(n.recipient.username for n in answered) == ["ali", "lene"]
        with pytest.raises(IncidentError) as refused:
            services.add_comment(session, clock, lene, incident, "CPR 0102031234")
        assert refused.value.code == "cpr_number"
        bo = find_user(session, "bo")
        with pytest.raises(IncidentError) as refused:
            services.add_comment(session, clock, bo, incident, "Hej")
        assert refused.value.status == 404


def test_csv_parses_back_and_is_audited(db, clock):
    with db as session:
        lene = find_user(session, "lene")
        first = submitted(session, clock, description='Sagde "=1+1" og gik, æøå')
        new_draft(session, clock, description="Kladde, må ikke komme med")
        services.transition(session, clock, lene, first, "in_review")
        services.set_check(session, clock, lene, first, "safetynet", reference="SN-77",
                           with_user_id=find_user(session, "ali").id)
        session.commit()
        text = services.export_csv(session, clock, lene, date(2026, 11, 1), date(2026, 11, 30))
        session.commit()
        rows = list(csv.reader(io.StringIO(text)))
        header, data = rows[0], rows[1:]
        assert len(data) == 1
        row = dict(zip(header, data[0], strict=True))
        assert row["Hændelsestype"] == "Vold" and row["Hvordan"] == "Personligt"
        assert row["Hvad skete der"] == 'Sagde "=1+1" og gik, æøå'
        assert row["SafetyNet-reference"] == "SN-77" and row["AMR involveret"] == "Ali Hassan"
        assert row["Medarbejder"] == "Anna Jensen" and row["Makker-id"] == first.id
        assert header.index("Hændelsestype") < header.index("Hvad skete der") < header.index("SafetyNet-reference")
        assert session.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "incident.read", AuditEntry.actor_id == lene.id,
            AuditEntry.object_id == first.id)).scalar_one() == 1
        # Outside the period: nothing; staff may not export.
        empty = services.export_csv(session, clock, lene, date(2026, 1, 1), date(2026, 1, 31))
        assert len(list(csv.reader(io.StringIO(empty)))) == 1
        with pytest.raises(IncidentError):
            services.export_csv(session, clock, find_user(session, "bo"), date(2026, 1, 1), date(2026, 12, 31))


def test_csv_cells_that_look_like_formulas_are_defused(db, clock):
    with db as session:
        submitted(session, clock, place="=HYPERLINK(\"x\")")
        text = services.export_csv(session, clock, find_user(session, "lene"), date(2026, 11, 1), date(2026, 11, 30))
        assert "'=HYPERLINK" in text


def test_statistics_count_without_names(db, clock):
    with db as session:
        submitted(session, clock, kind="threat", context="phone")
        submitted(session, clock, kind="threat", context="digital")
        submitted(session, clock, "bo", kind="near_miss", context="in_person")
        new_draft(session, clock, kind="violence")  # drafts do not count
        stats = services.statistics(session, find_user(session, "ali"), date(2026, 1, 1), date(2026, 11, 30))
        assert stats["total"] == 3
        assert dict(stats["by_kind"])["threat"] == 2 and dict(stats["by_kind"])["near_miss"] == 1
        assert dict(stats["by_kind"])["violence"] == 0
        assert dict(stats["by_context"]) == {"in_person": 1, "phone": 1, "digital": 1, "internal": 0, "off_duty": 0}
        assert stats["by_month"][-1] == ("2026-11", 3) and len(stats["by_month"]) == 11
        flat = repr(stats)
        assert "Anna" not in flat and "Bo" not in flat and "skubbede" not in flat
        admin_stats = services.statistics(session, find_user(session, "admin"), date(2026, 11, 1), date(2026, 11, 30))
        assert admin_stats["total"] == 3


def test_easy_deadline_follows_the_unit_setting(db, clock):
    with db as session:
        incident = new_draft(session, clock, absence_expected=True)
        assert services.easy_deadline(incident) == date(2026, 11, 26) + timedelta(days=9)
        incident.unit.easy_deadline_days = 14
        assert services.easy_deadline(incident) == date(2026, 12, 10)
        incident.absence_expected = False
        assert services.easy_deadline(incident) is None
        assert services.police_deadline(incident) == incident.occurred_at + timedelta(hours=72)
