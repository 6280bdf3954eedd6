"""The drill rule where escalation is decided (app/alerts/services.escalate and app/drills/ladder.py),
with a fake clock: a drill goes through the real tiers and then ends on its own, never repeating
level 2; a real alarm stops it at once and stays unmistakably real."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.alerts import services as alerts
from app.drills import results
from app.extensions import db as _db
from app.models import Alert
from tests.drills.helpers import ACK, alarms, drill_alerts, notes, start, start_visit, tick, who


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield _db.session


def test_a_person_drill_goes_level_1_then_level_2_then_ends_without_repeating(ctx, clock):
    drill = start(ctx, clock, username="bo")
    assert alarms(ctx) == [("bo", 1)]
    first = notes(ctx, urgent=True)[0]
    assert first.type == "test" and first.payload["drill"] is True and first.payload["title"].startswith("ØVELSE")
    assert first.tag == f"alert-{first.alert_id}" and "phone" not in first.payload  # no call button

    clock.advance(ACK - 0.001)
    tick(ctx, clock)
    assert alarms(ctx) == [("bo", 1)]
    clock.advance(0.001)
    tick(ctx, clock)
    assert alarms(ctx) == [("bo", 1), ("bo", 2)]  # the second tier, to the same person only
    assert notes(ctx, urgent=True)[1].payload["title"].startswith("ØVELSE, stadig ikke taget")

    clock.advance(ACK)
    tick(ctx, clock)
    (alert,) = drill_alerts(ctx, drill)
    assert (alert.state, alert.level, alert.next_escalation_at, alert.outcome) == ("resolved", 2, None, None)
    over = [n for n in notes(ctx, recipient_id=who(ctx, "bo").id) if not n.urgent]
    assert [n.payload["title"][:12] for n in over] == ["ØVELSE slut:"]  # told, on the same tag
    assert over[0].tag == first.tag and over[0].type == "test"

    for _ in range(3):  # a real alert would repeat level 2 every ACK: a drill never does
        clock.advance(ACK)
        tick(ctx, clock)
    assert alarms(ctx) == [("bo", 1), ("bo", 2)]
    result = results.result(ctx, drill)
    assert result.state == "ended" and [p.status for p in result.people] == ["missed"]


def test_a_visit_pattern_follows_the_real_ladder_and_the_first_to_take_it_owns_it(ctx, clock):
    drill = start(ctx, clock, worker="anna", buddy="bo")
    assert alarms(ctx) == [("bo", 1)]
    clock.advance(ACK)
    tick(ctx, clock)
    assert sorted(alarms(ctx)[1:]) == [("ali", 2), ("bo", 2), ("lene", 2)]  # buddy, leader, AMR; not anna
    (alert,) = drill_alerts(ctx, drill)
    assert alert.worker.username == "anna" and alert.visit_id is None

    clock.advance(seconds=30)
    assert alerts.acknowledge(ctx, clock, alert, who(ctx, "ali"))
    ctx.commit()
    (alert,) = drill_alerts(ctx, drill)
    assert (alert.state, alert.owner.username, alert.next_escalation_at) == ("resolved", "ali", None)
    told = sorted(n.recipient.username for n in notes(ctx) if n.step_key.endswith(":ack"))
    assert told == ["bo", "lene"]  # the others it reached; never the worker of a pretend visit
    assert all(n.type == "test" and n.payload["drill"] for n in notes(ctx))
    assert not any(n.recipient.username == "anna" for n in notes(ctx))

    clock.advance(ACK * 3)
    tick(ctx, clock)
    assert len(alarms(ctx)) == 4
    people = {p.user.username: (p.tier, p.status, p.acked_at) for p in results.result(ctx, drill).people}
    assert people["bo"][:2] == (1, "taken_by_other") and people["lene"][:2] == (2, "taken_by_other")
    assert people["ali"] == (2, "acknowledged", clock.now() - timedelta(seconds=ACK * 3))


def test_a_unit_drill_gives_everyone_their_own_alarm_and_skips_people_on_a_visit(ctx, clock):
    start_visit(ctx, clock, worker="anna", buddy="bo")
    drill = start(ctx, clock, unit=True)
    # Not lene (she started it), not admin (administrators answer no alarms), not anna (on a visit).
    assert sorted(alarms(ctx)) == [("ali", 1), ("bo", 1)]
    assert len(drill_alerts(ctx, drill)) == 2
    bo_alert = next(a for a in drill_alerts(ctx, drill) if a.id == notes(ctx, recipient_id=who(ctx, "bo").id)[0].alert_id)
    assert alerts.acknowledge(ctx, clock, bo_alert, who(ctx, "bo"))
    ctx.commit()
    clock.advance(ACK)
    tick(ctx, clock)
    assert sorted(alarms(ctx)) == [("ali", 1), ("ali", 2), ("bo", 1)]  # bo's own ack ended only his
    statuses = {p.user.username: p.status for p in results.result(ctx, drill).people}
    assert statuses == {"ali": "alerted", "bo": "acknowledged", "anna": "skipped"}


def test_a_real_alarm_stops_the_drill_and_says_it_is_no_drill(ctx, clock):
    drill = start(ctx, clock, unit=True)
    visit = start_visit(ctx, clock, worker="anna", buddy="bo")
    sos = alerts.raise_alert(ctx, clock, who(ctx, "anna"), reason="sos", visit=visit)
    ctx.commit()
    assert {a.state for a in drill_alerts(ctx, drill)} == {"resolved"}
    assert results.result(ctx, drill).state == "stopped" and drill.stop_reason == "real_alarm"
    stopped = [n for n in notes(ctx) if n.step_key.endswith(":drill-stopped")]
    assert sorted(n.recipient.username for n in stopped) == ["ali", "bo"]  # not anna, who raised the alarm
    assert all("rigtige" in n.payload["body"] for n in stopped)
    real = notes(ctx, alert_id=sos.id, type="alert")
    assert sorted(n.recipient.username for n in real) == ["ali", "bo", "lene"]
    assert all(n.payload["title"].startswith("IKKE EN ØVELSE: ") and n.payload["not_a_drill"] for n in real)
    assert all("drill" not in n.payload for n in real)

    clock.advance(ACK * 3)
    tick(ctx, clock)  # the real alert goes on repeating level 2; the stopped drill stays quiet
    assert ctx.get(Alert, sos.id).escalations >= 1
    assert {n.alert_id for n in notes(ctx, urgent=True) if n.created_at > clock.now() - timedelta(seconds=ACK * 3)} == {sos.id}


def test_a_drill_never_starts_while_a_real_alarm_is_open_or_on_top_of_another(ctx, clock):
    from app.drills.services import DrillError

    start(ctx, clock, username="bo")
    with pytest.raises(DrillError) as running:
        start(ctx, clock, username="ali")
    assert (running.value.status, running.value.code) == (409, "drill_running")
    clock.advance(ACK * 2)
    tick(ctx, clock)
    visit = start_visit(ctx, clock, worker="anna", buddy="bo")
    with pytest.raises(DrillError) as on_visit:
        start(ctx, clock, username="anna")
    assert on_visit.value.code == "on_visit"
    alerts.raise_alert(ctx, clock, who(ctx, "anna"), reason="sos", visit=visit)
    ctx.commit()
    with pytest.raises(DrillError) as real:
        start(ctx, clock, username="ali")
    assert real.value.code == "real_alarm_open"


def test_drill_alerts_reach_only_their_people_and_give_no_real_rights(ctx, clock):
    drill = start(ctx, clock, username="bo")
    (alert,) = drill_alerts(ctx, drill)
    assert [a.id for a in alerts.open_alerts_for(ctx, who(ctx, "bo"))] == [alert.id]
    assert alerts.open_alerts_for(ctx, who(ctx, "ali")) == []  # a level-2 AMR, but not in this drill
    assert alerts.open_alerts_for(ctx, who(ctx, "lene")) == []
    clock.advance(ACK)
    tick(ctx, clock)  # level 2 now: still only bo
    assert alerts.open_alerts_for(ctx, who(ctx, "ali")) == []
    from app.alerts.access import is_responder_for_open_alert_of

    assert not is_responder_for_open_alert_of(ctx, who(ctx, "bo"), who(ctx, "lene").id)
    with pytest.raises(alerts.AlertError) as refused:
        alerts.resolve(ctx, clock, ctx.get(Alert, alert.id), who(ctx, "bo"), "safe")
    assert refused.value.code == "drill_alert"


def test_someone_who_starts_a_visit_during_a_drill_gets_no_more_of_it(ctx, clock):
    drill = start(ctx, clock, worker="anna", buddy="bo")
    start_visit(ctx, clock, worker="ali", buddy="bo")  # ali (level 2) goes out after the start
    clock.advance(ACK)
    tick(ctx, clock)
    assert sorted(alarms(ctx)) == [("bo", 1), ("bo", 2), ("lene", 2)]  # not ali, now on a visit
    statuses = {p.user.username: p.status for p in results.result(ctx, drill).people}
    assert statuses["ali"] == "waiting"  # listed, but no message: the page says "no message"
