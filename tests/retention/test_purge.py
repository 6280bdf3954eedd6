"""Each retention rule just before and just after its boundary, what it never touches, batches, dry runs.

Every test runs on SQLite and (with MAKKER_TEST_DATABASE_URL) on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import (
    Alert,
    AmbulanceLetter,
    AuditEntry,
    ClientAction,
    DeliveryAttempt,
    Incident,
    IncidentCheck,
    IncidentComment,
    MailSinkMessage,
    NextOfKin,
    Notification,
    OutboxEntry,
    PushSubscription,
    RetentionRun,
    TimelineEvent,
    User,
    UserSession,
    Visit,
)
from app.retention import services
from app.retention.services import Policy, purge, run_now
from tests.retention import helpers as h
from tests.retention.helpers import SECOND

POLICY = Policy()  # the shipped defaults: 30, 365, 365, 1825, 2190 days (drafts 90, sign-ins 30)


def ago(clock, days: int):
    return clock.now() - timedelta(days=days)


def test_the_policy_is_read_from_the_settings(app):
    assert Policy.from_config(app.config) == POLICY
    assert Policy.from_config({**app.config, "RETAIN_PLACES_DAYS": 7}).places_days == 7
    with pytest.raises(ValueError, match="places_days"):
        Policy.from_config({**app.config, "RETAIN_PLACES_DAYS": 0})


def test_places_are_erased_just_after_30_days_and_the_visit_stays(db, clock):
    with db as s:
        old = h.visit(s, closed_at=ago(clock, 30) - SECOND)
        young = h.visit(s, closed_at=ago(clock, 30) + SECOND)
        old_alert = h.alert(s, old, resolved_at=old.closed_at)
        s.commit()
        old_id, young_id, old_alert_id = old.id, young.id, old_alert.id

        report = purge(s, clock, POLICY)
        assert report.finished
        assert report.counts["visit_places"] == 1
        assert report.counts["notification_texts"] == 1  # the alert's message named the place
        s.expire_all()
        erased = s.get(Visit, old_id)
        assert (erased.place, erased.lat, erased.lon, erased.accuracy, erased.location_at) == ("", None, None, None, None)
        assert erased.state == "closed" and erased.closed_at is not None
        kept = s.get(Visit, young_id)
        assert kept.place == "Nørregade 1, 2. tv" and kept.lat == 55.68 and kept.location_at is not None
        message = s.execute(select(Notification).where(Notification.alert_id == old_alert_id)).scalar_one()
        assert message.payload == {}
        # The alert itself (resolved 30 days ago) lost its position too; its delivery log stays.
        a = s.get(Alert, old_alert_id)
        assert (a.lat, a.lon, a.accuracy, a.location_at) == (None, None, None, None)
        assert h.count(s, DeliveryAttempt, DeliveryAttempt.alert_id == old_alert_id) == 1

        # A second run finds nothing more to do.
        assert purge(s, clock, POLICY).total == 0


def test_alert_texts_are_found_by_the_alert_too(db, clock):
    """Notifications written before they carried the alert's visit_id are still cleared with the place."""
    with db as s:
        v = h.visit(s, closed_at=ago(clock, 31))
        a = h.alert(s, v, resolved_at=ago(clock, 31))
        legacy = h.notification(s, "ali", created_at=ago(clock, 31), type="alert", alert_row=a,
                                body="Place: Nørregade 1, 2. tv.")
        s.commit()
        legacy_id = legacy.id
        assert purge(s, clock, POLICY, dry_run=True).counts["notification_texts"] == 2
        assert purge(s, clock, POLICY).counts["notification_texts"] == 2
        s.expire_all()
        assert s.get(Notification, legacy_id).payload == {} and s.get(Notification, legacy_id).visit_id is None


def test_alert_positions_go_30_days_after_resolution(db, clock):
    with db as s:
        old = h.alert(s, resolved_at=ago(clock, 30) - SECOND)
        young = h.alert(s, resolved_at=ago(clock, 30) + SECOND)
        s.commit()
        report = purge(s, clock, POLICY)
        assert report.counts["alert_positions"] == 1
        s.expire_all()
        assert s.get(Alert, old.id).lat is None
        assert s.get(Alert, young.id).lat == 55.68


def test_a_closed_visit_keeps_its_place_while_its_alert_is_open(db, clock):
    with db as s:
        v = h.visit(s, closed_at=ago(clock, 3000), place="Vesterbrogade 9")  # closed by the duress PIN
        open_alert = h.alert(s, v, state="open", created_at=ago(clock, 3000))
        acked = h.alert(s, h.visit(s, closed_at=ago(clock, 3000)), state="acknowledged", created_at=ago(clock, 3000))
        s.commit()
        before = h.snapshot(s)
        report = purge(s, clock, POLICY)
        assert report.total == 0
        s.expire_all()
        assert h.snapshot(s) == before
        assert s.get(Visit, v.id).place == "Vesterbrogade 9"
        assert s.get(Alert, open_alert.id).lat == 55.68 and s.get(Alert, acked.id).state == "acknowledged"


@pytest.mark.parametrize("state", ["active", "overdue", "alarm"])
def test_visits_that_are_not_closed_are_never_touched(db, clock, state):
    with db as s:
        v = h.visit(s, closed_at=None, state=state, started_at=ago(clock, 4000))
        h.notification(s, created_at=ago(clock, 4000), visit_row=v, state="pending")
        s.commit()
        before = h.snapshot(s)
        assert purge(s, clock, POLICY).total == 0
        s.expire_all()
        assert h.snapshot(s) == before


def test_closed_visits_are_deleted_after_365_days_with_what_hangs_off_them(db, clock):
    with db as s:
        old = h.visit(s, closed_at=ago(clock, 365) - SECOND)
        young = h.visit(s, closed_at=ago(clock, 365) + SECOND)
        for v in (old, young):
            h.notification(s, created_at=v.started_at, visit_row=v, type="reminder")
            h.client_action(s, received_at=ago(clock, 10), target=v.id)  # recent: only the visit takes it
        s.commit()
        old_id, young_id = old.id, young.id

        report = purge(s, clock, POLICY)
        assert report.counts["visits"] == 1
        assert report.counts["timeline_events"] == 1
        assert report.counts["client_actions"] == 1
        # The young visit's reminder (older than 30 days) goes by the message rule; the old one with its visit.
        assert report.counts["notifications"] == 2
        assert report.counts["outbox_entries"] == 2 and report.counts["delivery_attempts"] == 2
        s.expire_all()
        assert s.get(Visit, old_id) is None
        assert h.count(s, TimelineEvent, TimelineEvent.visit_id == old_id) == 0
        assert h.count(s, ClientAction, ClientAction.target_id == old_id) == 0
        assert s.get(Visit, young_id) is not None
        assert h.count(s, TimelineEvent, TimelineEvent.visit_id == young_id) == 1
        assert h.count(s, ClientAction, ClientAction.target_id == young_id) == 1


def test_a_visit_an_incident_refers_to_is_kept_as_a_skeleton(db, clock):
    with db as s:
        v = h.visit(s, closed_at=ago(clock, 1000))
        h.incident(s, status="closed", at=ago(clock, 900), visit_row=v)
        s.commit()
        report = purge(s, clock, POLICY)
        assert report.counts["visits"] == 0 and report.counts["visit_places"] == 1
        s.expire_all()
        kept = s.get(Visit, v.id)
        assert kept is not None and kept.place == "" and kept.lat is None


def test_resolved_alerts_are_deleted_after_365_days_with_events_notifications_outbox_and_attempts(db, clock):
    with db as s:
        old_visit = h.visit(s, closed_at=ago(clock, 400))
        old = h.alert(s, old_visit, resolved_at=ago(clock, 365) - SECOND)
        young = h.alert(s, resolved_at=ago(clock, 365) + SECOND)
        linked = h.alert(s, resolved_at=ago(clock, 1000))
        h.incident(s, status="registered", at=ago(clock, 1000), alert_row=linked)
        s.commit()
        ids = {"old": old.id, "young": young.id, "linked": linked.id, "visit": old_visit.id}

        report = purge(s, clock, POLICY)
        assert report.counts["alerts"] == 1
        # The old alert's visit only waited for its alert: it goes in the same run.
        assert report.counts["visits"] == 1
        assert report.counts["notifications"] == 1
        assert report.counts["outbox_entries"] == 1 and report.counts["delivery_attempts"] == 1
        assert report.counts["timeline_events"] == 2  # the alert's, then the visit's
        s.expire_all()
        assert s.get(Alert, ids["old"]) is None and s.get(Visit, ids["visit"]) is None
        for table, column in ((Notification, Notification.alert_id), (DeliveryAttempt, DeliveryAttempt.alert_id),
                              (TimelineEvent, TimelineEvent.alert_id)):
            assert h.count(s, table, column == ids["old"]) == 0
            assert h.count(s, table, column == ids["young"]) == 1
            assert h.count(s, table, column == ids["linked"]) == 1
        assert s.get(Alert, ids["young"]) is not None
        assert s.get(Alert, ids["linked"]) is not None  # an incident refers to it
        assert h.count(s, OutboxEntry) == 2


def test_incidents_are_deleted_five_years_after_closing_or_registration(db, clock):
    cutoff = ago(clock, 1825)
    with db as s:
        closed_old = h.incident(s, status="closed", at=cutoff - SECOND)
        closed_young = h.incident(s, status="closed", at=cutoff + SECOND)
        registered_old = h.incident(s, status="registered", at=cutoff - SECOND)
        registered_young = h.incident(s, status="registered", at=cutoff + SECOND)
        never_finished = h.incident(s, status="in_review", at=ago(clock, 4000))
        submitted = h.incident(s, status="submitted", at=ago(clock, 4000))
        s.add(AuditEntry(at=ago(clock, 10), action="user.update", object_type="user", object_id=closed_old.id))
        s.commit()
        old_id = closed_old.id
        gone = {closed_old.id, registered_old.id}
        kept = {closed_young.id, registered_young.id, never_finished.id, submitted.id}

        report = purge(s, clock, POLICY)
        assert report.counts["incidents"] == 2
        assert report.counts["incident_comments"] == 2 and report.counts["incident_checks"] == 2
        assert report.counts["incident_audit_entries"] == 2
        s.expire_all()
        assert set(s.execute(select(Incident.id)).scalars()) == kept
        for table, column in ((IncidentComment, IncidentComment.incident_id), (IncidentCheck, IncidentCheck.incident_id)):
            assert h.count(s, table, column.in_(gone)) == 0
            assert h.count(s, table, column.in_(kept)) == 4
        about = AuditEntry.object_type == "incident"
        assert h.count(s, AuditEntry, about, AuditEntry.object_id.in_(gone)) == 0
        # The open cases' own read rows are 11 years old: the audit log's rule took them, not this one.
        assert h.count(s, AuditEntry, about, AuditEntry.object_id.in_(kept)) == 2
        # Only rows about the incident: an audit row about a user with the same id stays.
        assert h.count(s, AuditEntry, AuditEntry.object_type == "user", AuditEntry.object_id == old_id) == 1


def test_drafts_are_deleted_90_days_after_their_last_change(db, clock):
    with db as s:
        old = h.incident(s, status="draft", at=ago(clock, 90) - SECOND)
        young = h.incident(s, status="draft", at=ago(clock, 90) + SECOND)
        s.commit()
        old_id, young_id = old.id, young.id
        report = purge(s, clock, POLICY)
        assert report.counts["incident_drafts"] == 1
        s.expire_all()
        assert s.get(Incident, old_id) is None and s.get(Incident, young_id) is not None


def test_messages_not_about_an_alert_go_after_30_days_once_delivered(db, clock):
    with db as s:
        old = h.notification(s, created_at=ago(clock, 30) - SECOND, type="test")
        young = h.notification(s, created_at=ago(clock, 30) + SECOND, type="reminder")
        failed = h.notification(s, created_at=ago(clock, 200), type="incident", state="failed")
        pending = h.notification(s, created_at=ago(clock, 200), type="interrupt", state="pending")
        about_open_alert = h.alert(s, state="open", created_at=ago(clock, 200))
        s.commit()
        old, young, failed, pending, about_open_alert = (x.id for x in (old, young, failed, pending, about_open_alert))
        report = purge(s, clock, POLICY)
        assert report.counts["notifications"] == 2
        assert report.counts["outbox_entries"] == 2 and report.counts["delivery_attempts"] == 2
        s.expire_all()
        left = set(s.execute(select(Notification.id)).scalars())
        assert old not in left and failed not in left
        assert {young, pending} <= left
        assert h.count(s, Notification, Notification.alert_id == about_open_alert) == 1


def test_mail_copies_replay_records_sign_ins_and_the_audit_log(db, clock):
    with db as s:
        mail_old, mail_young = h.mail(s, created_at=ago(clock, 30) - SECOND), h.mail(s, created_at=ago(clock, 30) + SECOND)
        act_old = h.client_action(s, received_at=ago(clock, 30) - SECOND)
        act_young = h.client_action(s, received_at=ago(clock, 30) + SECOND)
        expired_old = h.sign_in_row(s, expires_at=ago(clock, 30) - SECOND)
        expired_young = h.sign_in_row(s, expires_at=ago(clock, 30) + SECOND)
        revoked_old = h.sign_in_row(s, expires_at=clock.now() + timedelta(days=5), revoked_at=ago(clock, 30) - SECOND)
        live = h.sign_in_row(s, expires_at=clock.now() + timedelta(days=5))
        audit_old = h.audit_entry(s, at=ago(clock, 2190) - SECOND)
        audit_young = h.audit_entry(s, at=ago(clock, 2190) + SECOND)
        s.commit()
        mail_old, mail_young, act_old, act_young, expired_old, expired_young, revoked_old, live, audit_old, \
            audit_young = (x.id for x in (mail_old, mail_young, act_old, act_young, expired_old, expired_young,
                                          revoked_old, live, audit_old, audit_young))
        report = purge(s, clock, POLICY)
        assert {k: report.counts[k] for k in ("mail_sink", "client_actions", "sessions", "audit_entries")} == {
            "mail_sink": 1, "client_actions": 1, "sessions": 2, "audit_entries": 1}
        s.expire_all()
        assert s.get(MailSinkMessage, mail_old) is None and s.get(MailSinkMessage, mail_young) is not None
        assert s.get(ClientAction, act_old) is None and s.get(ClientAction, act_young) is not None
        assert s.get(UserSession, expired_old) is None and s.get(UserSession, revoked_old) is None
        assert s.get(UserSession, expired_young) is not None and s.get(UserSession, live) is not None
        assert s.get(AuditEntry, audit_old) is None and s.get(AuditEntry, audit_young) is not None


def test_a_month_after_deactivation_the_persons_devices_and_ambulance_letter_go(db, clock):
    with db as s:
        gone = h.leaver(s, "anna", deactivated_at=ago(clock, 30) - SECOND)
        recent = h.leaver(s, "bo", deactivated_at=ago(clock, 30) + SECOND)
        working = h.leaver(s, "lene", deactivated_at=None, active=True)
        # Back at work (a stale time from an older deactivation changes nothing).
        back = h.leaver(s, "ali", deactivated_at=ago(clock, 400), active=True)
        # Deactivated long ago, but an alarm for her is still open: its responders may need the letter.
        alarmed = h.leaver(s, "admin", deactivated_at=ago(clock, 60))
        h.alert(s, state="open", created_at=ago(clock, 60), resolved_at=None).worker_id = alarmed.id
        s.commit()
        gone, recent, working, back, alarmed = gone.id, recent.id, working.id, back.id, alarmed.id
        report = purge(s, clock, POLICY)
        assert {k: report.counts[k] for k in ("push_subscriptions", "ambulance_letters", "next_of_kin")} == {
            "push_subscriptions": 1, "ambulance_letters": 1, "next_of_kin": 1}
        s.expire_all()
        devices = {u for u, in s.execute(select(PushSubscription.user_id))}
        letters = {u for u, in s.execute(select(AmbulanceLetter.user_id))}
        assert devices == letters == {recent, working, back, alarmed}
        assert h.count(s, NextOfKin) == 4
        assert s.get(User, gone) is not None  # the account stays: alerts and incidents name it


def test_reactivation_keeps_a_persons_letter(db, clock):
    from app.admin import services as admin

    with db as s:
        anna = h.leaver(s, "anna", deactivated_at=None, active=True)
        admin.deactivate(s, clock, anna, actor_id=None)
        assert anna.deactivated_at == clock.now()
        s.commit()
        clock.advance(days=20)
        admin.reactivate(s, clock, anna, actor_id=None)
        assert anna.active and anna.deactivated_at is None
        s.commit()
        clock.advance(days=40)
        assert purge(s, clock, POLICY).counts["ambulance_letters"] == 0
        assert h.count(s, AmbulanceLetter) == 1


def test_work_is_done_in_batches_and_can_stop_and_go_on(db, clock):
    with db as s:
        for i in range(23):
            h.audit_entry(s, at=ago(clock, 3000) - timedelta(minutes=i))
        s.commit()
        first = purge(s, clock, POLICY, batch=10, max_batches=1)
        assert not first.finished and first.batches == 1
        assert first.counts["audit_entries"] == 10
        assert services.RULES[first.stage].__name__ == "audit_entries"
        rest = purge(s, clock, POLICY, batch=10, stage=first.stage)
        assert rest.finished and rest.batches == 2 and rest.counts["audit_entries"] == 13
        assert h.count(s, AuditEntry, AuditEntry.at < ago(clock, 2190)) == 0


def _a_bit_of_everything(s, clock) -> None:
    v = h.visit(s, closed_at=ago(clock, 400))
    h.notification(s, created_at=ago(clock, 400), visit_row=v)
    h.visit(s, closed_at=ago(clock, 40))
    h.alert(s, resolved_at=ago(clock, 500))
    h.alert(s, resolved_at=ago(clock, 50))
    h.incident(s, status="closed", at=ago(clock, 2000))
    h.incident(s, status="draft", at=ago(clock, 100))
    # Chains: a visit waits for its alert, an alert and a visit wait for their incident; all go in one run.
    chained = h.visit(s, closed_at=ago(clock, 2100))
    h.incident(s, status="closed", at=ago(clock, 1900), visit_row=chained,
               alert_row=h.alert(s, chained, resolved_at=ago(clock, 2100)))
    # Kept: an incident that is young holds on to its old visit and alert (their places still go).
    held = h.visit(s, closed_at=ago(clock, 700))
    h.incident(s, status="closed", at=ago(clock, 600), visit_row=held, alert_row=h.alert(s, held, resolved_at=ago(clock, 700)))
    h.notification(s, created_at=ago(clock, 40), type="test")
    h.mail(s, created_at=ago(clock, 40))
    h.client_action(s, received_at=ago(clock, 40))
    h.sign_in_row(s, expires_at=ago(clock, 40))
    h.audit_entry(s, at=ago(clock, 2500))
    h.leaver(s, "ali", deactivated_at=ago(clock, 45))


def test_a_dry_run_changes_nothing_and_counts_what_a_real_run_does(db, clock):
    with db as s:
        _a_bit_of_everything(s, clock)
        s.commit()
        before = h.snapshot(s)
        dry = purge(s, clock, POLICY, dry_run=True)
        s.expire_all()
        assert h.snapshot(s) == before
        assert dry.dry_run and dry.finished and dry.total > 0
        real = purge(s, clock, POLICY)
        assert real.counts == dry.counts
        assert purge(s, clock, POLICY, dry_run=True).total == 0
        assert all(real.counts[k] > 0 for k in ("visits", "alerts", "incidents", "incident_drafts", "visit_places",
                                                  "alert_positions", "notifications", "mail_sink", "client_actions",
                                                  "sessions", "push_subscriptions", "ambulance_letters",
                                                  "next_of_kin", "audit_entries"))


def test_a_recorded_run_writes_one_audit_record_with_counts_and_policy(db, clock):
    with db as s:
        _a_bit_of_everything(s, clock)
        s.commit()
        run, report = run_now(s, clock, POLICY)
        entries = s.execute(select(AuditEntry).where(AuditEntry.action == "retention.purge")).scalars().all()
        assert len(entries) == 1
        detail = entries[0].detail
        assert detail["policy"] == POLICY.as_dict()
        assert detail["total"] == report.total > 0
        assert detail["counts"] == {k: v for k, v in report.counts.items() if v}
        assert detail["trigger"] == "command" and entries[0].object_id == str(run.id)
        assert run.finished_at is not None and run.counts == report.counts and run.day is None

        # A run that finds nothing is recorded too (it shows that retention runs).
        run2, report2 = run_now(s, clock, POLICY)
        assert report2.total == 0
        assert h.count(s, AuditEntry, AuditEntry.action == "retention.purge") == 2
        assert h.count(s, RetentionRun) == 2
