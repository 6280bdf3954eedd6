"""The whole escalation ladder with a fake clock: every transition, no sleeping."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.admin.services import find_user
from app.alerts import services as alerts
from app.extensions import db as _db
from app.models import Alert, Notification, OutboxEntry, Visit
from app.visits import services
from app.watchdog import engine


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield _db.session


def people(session):
    return {name: find_user(session, name) for name in ("anna", "bo", "lene", "ali")}


def start_visit(session, clock, minutes=60, **extra):
    p = people(session)
    plan = services.VisitPlan(id=str(uuid.uuid4()), planned_end=clock.now() + timedelta(minutes=minutes),
                              buddy=p["bo"], place="Vestergade 1, 2. th", **extra)
    visit, created = services.start(session, clock, p["anna"], plan)
    session.commit()
    return visit


def notes(session, **where):
    query = select(Notification).order_by(Notification.created_at, Notification.id)
    for key, value in where.items():
        query = query.where(getattr(Notification, key) == value)
    return list(session.execute(query).scalars())


def recipients(session, type_):
    return sorted(n.recipient.username for n in notes(session, type=type_))


def run(session, clock):
    return engine.tick(session, clock)


def test_nothing_fires_before_the_reminder(ctx, clock):
    start_visit(ctx, clock)
    clock.advance(minutes=54)
    run(ctx, clock)
    assert notes(ctx) == []


def test_reminder_to_the_worker_then_alert_to_the_buddy_then_level_2(ctx, clock):
    visit = start_visit(ctx, clock)  # ends at +60; reminder at +55; overdue at +65
    assert visit.next_due_at == clock.now() + timedelta(minutes=55)
    clock.advance(minutes=55)
    tick = run(ctx, clock)
    assert recipients(ctx, "reminder") == ["anna"] and tick.sent >= 1
    assert ctx.get(Visit, visit.id).next_due_at == clock.now() + timedelta(minutes=10)

    clock.advance(minutes=10)
    run(ctx, clock)
    v = ctx.get(Visit, visit.id)
    assert v.state == "overdue"
    alert = v.alerts[0]
    assert (alert.reason, alert.level, alert.state) == ("overdue", 1, "open")
    assert recipients(ctx, "alert") == ["bo"]
    assert "Vestergade" in notes(ctx, type="alert")[0].payload["body"]  # place revealed now

    clock.advance(seconds=119)
    run(ctx, clock)
    assert ctx.get(Alert, alert.id).level == 1
    clock.advance(seconds=1)
    run(ctx, clock)
    assert ctx.get(Alert, alert.id).level == 2
    assert recipients(ctx, "alert") == ["ali", "bo", "bo", "lene"]

    clock.advance(seconds=120)  # repeated until someone acknowledges
    run(ctx, clock)
    assert recipients(ctx, "alert") == ["ali", "ali", "bo", "bo", "bo", "lene", "lene"]


def test_each_step_fires_once_even_if_ticked_again(ctx, clock):
    start_visit(ctx, clock)
    clock.advance(minutes=66)
    run(ctx, clock)
    run(ctx, clock)
    run(ctx, clock)
    assert recipients(ctx, "reminder") == ["anna"] and recipients(ctx, "alert") == ["bo"]
    assert ctx.execute(select(OutboxEntry).where(OutboxEntry.state != "sent")).first() is None


def test_acknowledge_stops_the_ladder_and_tells_worker_and_others(ctx, clock):
    visit = start_visit(ctx, clock)
    clock.advance(minutes=65)
    run(ctx, clock)
    clock.advance(minutes=2)
    run(ctx, clock)
    p = people(ctx)
    alert = ctx.get(Visit, visit.id).alerts[0]
    assert alert.level == 2
    assert alerts.acknowledge(ctx, clock, alert, p["lene"])
    ctx.commit()
    clock.advance(minutes=30)
    run(ctx, clock)
    assert recipients(ctx, "alert").count("bo") == 2  # no more rounds after the ack
    assert recipients(ctx, "ack") == ["ali", "anna", "bo"]
    assert ctx.get(Alert, alert.id).owner.username == "lene"


def test_second_responder_does_not_take_over(ctx, clock):
    visit = start_visit(ctx, clock)
    clock.advance(minutes=66)
    run(ctx, clock)
    p = people(ctx)
    alert = ctx.get(Visit, visit.id).alerts[0]
    assert alerts.acknowledge(ctx, clock, alert, p["bo"])
    ctx.commit()
    alert.level = 2
    ctx.commit()
    assert not alerts.acknowledge(ctx, clock, ctx.get(Alert, alert.id), p["lene"])
    assert ctx.get(Alert, alert.id).owner.username == "bo"


@pytest.mark.parametrize("stage_minutes", [0, 56, 66, 68])
def test_checkout_in_each_stage(ctx, clock, stage_minutes):
    visit = start_visit(ctx, clock)
    clock.advance(minutes=stage_minutes)
    run(ctx, clock)
    services.checkout(ctx, clock, people(ctx)["anna"], visit.id)
    ctx.commit()
    v = ctx.get(Visit, visit.id)
    assert v.state == "closed" and v.next_due_at is None
    for alert in v.alerts:
        assert alert.state == "resolved" and alert.outcome == "safe"
    before = len(notes(ctx))
    clock.advance(hours=3)
    run(ctx, clock)
    assert len(notes(ctx)) == before  # nothing fires after check-out


def test_extend_before_the_reminder_moves_every_step(ctx, clock):
    visit = start_visit(ctx, clock)
    clock.advance(minutes=30)
    services.extend(ctx, clock, people(ctx)["anna"], visit.id, 30)
    ctx.commit()
    clock.advance(minutes=26)  # +56: the old reminder time
    run(ctx, clock)
    assert notes(ctx) == []
    clock.advance(minutes=29)  # +85 = new end 90 - 5
    run(ctx, clock)
    assert recipients(ctx, "reminder") == ["anna"]


def test_extend_after_the_reminder_gives_a_new_reminder(ctx, clock):
    visit = start_visit(ctx, clock)
    clock.advance(minutes=56)
    run(ctx, clock)
    services.extend(ctx, clock, people(ctx)["anna"], visit.id, 15)
    ctx.commit()
    clock.advance(minutes=14)  # new end +75, reminder +70
    run(ctx, clock)
    assert recipients(ctx, "reminder") == ["anna", "anna"]
    assert recipients(ctx, "alert") == []


def test_extend_after_the_alert_fired_does_not_undo_it(ctx, clock):
    visit = start_visit(ctx, clock)
    clock.advance(minutes=66)
    run(ctx, clock)
    services.extend(ctx, clock, people(ctx)["anna"], visit.id, 15)
    ctx.commit()
    v = ctx.get(Visit, visit.id)
    assert v.alerts[0].state == "open" and v.state == "overdue"
    clock.advance(minutes=2)
    run(ctx, clock)
    assert ctx.get(Alert, v.alerts[0].id).level == 2  # the ladder goes on


def test_duress_checkout_looks_closed_and_alarms_silently(ctx, clock):
    p = people(ctx)
    services.set_pins(ctx, p["anna"], "1234", "9999")
    visit = start_visit(ctx, clock)
    with pytest.raises(services.VisitError) as wrong:
        services.checkout(ctx, clock, p["anna"], visit.id, "0000")
    assert wrong.value.code == "wrong_pin"
    assert ctx.get(Visit, visit.id).state == "active"
    services.checkout(ctx, clock, p["anna"], visit.id, "9999")
    ctx.commit()
    v = ctx.get(Visit, visit.id)
    assert v.state == "closed"
    alert = v.alerts[0]
    assert (alert.reason, alert.level) == ("duress", 2)
    run(ctx, clock)
    assert recipients(ctx, "alert") == ["ali", "bo", "lene"]
    assert not notes(ctx, recipient_id=p["anna"].id)
    assert alerts.open_alerts_for(ctx, p["anna"]) == []
    alerts.acknowledge(ctx, clock, alert, p["bo"])
    ctx.commit()
    assert not notes(ctx, recipient_id=p["anna"].id)  # not even "Bo has seen your alert"


def test_sos_without_a_visit_goes_to_leader_and_amr(ctx, clock):
    p = people(ctx)
    alert, created = services.sos(ctx, clock, p["anna"], lat=56.1, lon=10.2)
    ctx.commit()
    assert created and alert.level == 2 and alert.visit_id is None
    run(ctx, clock)
    assert recipients(ctx, "alert") == ["ali", "lene"]
    same, created_again = services.sos(ctx, clock, p["anna"], alert_id=alert.id)
    assert not created_again and same.id == alert.id


def test_sos_during_a_visit_sets_alarm_and_reaches_the_buddy(ctx, clock):
    visit = start_visit(ctx, clock)
    services.sos(ctx, clock, people(ctx)["anna"], visit_id=visit.id)
    ctx.commit()
    run(ctx, clock)
    assert ctx.get(Visit, visit.id).state == "alarm"
    assert recipients(ctx, "alert") == ["ali", "bo", "lene"]
    clock.advance(hours=2)  # no overdue alert on top of the SOS
    run(ctx, clock)
    assert {n.payload["reason"] for n in notes(ctx, type="alert")} == {"sos"}


def test_planned_interruption_calls_the_buddy(ctx, clock):
    visit = start_visit(ctx, clock, interrupt_at=clock.now() + timedelta(minutes=20))
    clock.advance(minutes=20)
    run(ctx, clock)
    note = notes(ctx, type="interrupt")
    assert [n.recipient.username for n in note] == ["bo"]
    assert "Anna" in note[0].payload["title"] and note[0].payload["phone"]
    assert ctx.get(Visit, visit.id).next_due_at == visit.planned_end - timedelta(minutes=5)


def test_unit_timings_override_the_defaults(ctx, clock):
    unit = people(ctx)["anna"].unit
    unit.grace_s, unit.reminder_before_s, unit.ack_timeout_s = 60, 0, 30
    ctx.commit()
    visit = start_visit(ctx, clock, minutes=10)
    clock.advance(minutes=11)
    run(ctx, clock)
    assert ctx.get(Visit, visit.id).state == "overdue"
    clock.advance(seconds=30)
    run(ctx, clock)
    assert ctx.get(Visit, visit.id).alerts[0].level == 2


def test_resolve_closes_the_visit_and_tells_the_worker(ctx, clock):
    visit = start_visit(ctx, clock)
    clock.advance(minutes=66)
    run(ctx, clock)
    p = people(ctx)
    alert = ctx.get(Visit, visit.id).alerts[0]
    alerts.resolve(ctx, clock, alert, p["bo"], "safe", "Talked to Anna")
    ctx.commit()
    assert ctx.get(Visit, visit.id).state == "closed"
    assert recipients(ctx, "resolved") == ["anna"]
    with pytest.raises(alerts.AlertError):
        alerts.resolve(ctx, clock, ctx.get(Alert, alert.id), p["bo"], "safe")


def test_due_to_sent_latency_is_recorded_as_zero_with_a_fake_clock(ctx, clock):
    visit = start_visit(ctx, clock)
    clock.advance(minutes=65)
    run(ctx, clock)
    note = notes(ctx, type="alert")[0]
    assert note.due_at == visit.planned_end + timedelta(minutes=5)


def test_overdue_alert_records_its_visit_on_events_and_notifications(ctx, clock):
    """Retention finds an alert's texts through visit_id: it must be set before the first flush."""
    from app.models import TimelineEvent

    visit = start_visit(ctx, clock)
    clock.advance(minutes=66)
    run(ctx, clock)
    alert_notes = notes(ctx, type="alert")
    assert alert_notes and all(n.visit_id == visit.id for n in alert_notes)
    events = ctx.execute(select(TimelineEvent).where(TimelineEvent.kind == "alert.overdue")).scalars().all()
    assert [e.visit_id for e in events] == [visit.id]
