"""A leaver's duties are handed over, visibly: who is told what, and the new buddy (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from app.admin import services as admin
from app.alerts import services as alerts
from app.handover import services as handover
from app.models import Alert, Notification, TimelineEvent, Visit
from app.visits import services as visits
from app.watchdog import engine


def _people(session):
    return {u: admin.find_user(session, u) for u in ("anna", "bo", "lene", "ali", "admin")}


def _start(session, clock, worker, buddy, minutes=30) -> Visit:
    plan = visits.VisitPlan(id=str(uuid.uuid4()), planned_end=clock.now() + timedelta(minutes=minutes),
                            buddy=buddy, place="Vestergade 1")
    visit, _ = visits.start(session, clock, worker, plan)
    session.commit()
    return visit


def _told(session, since_types=None) -> dict[str, list[Notification]]:
    rows = session.execute(select(Notification).order_by(Notification.created_at)).scalars()
    out: dict[str, list[Notification]] = {}
    for n in rows:
        if since_types is None or n.type in since_types:
            out.setdefault(n.recipient.username, []).append(n)
    return out


def test_a_taken_alert_goes_back_to_open_and_to_the_other_responders(app, db, clock):
    with db as session:
        p = _people(session)
        visit = _start(session, clock, p["anna"], p["bo"])
        alert, _ = visits.sos(session, clock, p["anna"], visit_id=visit.id)
        session.commit()
        assert alerts.acknowledge(session, clock, alert, p["bo"])
        session.commit()
        session.query(Notification).delete()
        session.commit()

        result = admin.admin_deactivate(session, clock, p["bo"], actor_id=p["admin"].id)
        session.commit()
        alert = session.get(Alert, alert.id)
        assert (alert.state, alert.owner_id, alert.level) == ("open", None, 2)
        assert result.alerts_reopened == [alert.id]
        told = _told(session)
        # The leader and the AMR get the alert again; Anna learns that Bo cannot follow it any more, and
        # (Bo was also her buddy) both Anna and the leader are asked to choose another buddy.
        assert [n.type for n in told["lene"]] == ["alert", "reminder"] and [n.type for n in told["ali"]] == ["alert"]
        assert "kan ikke længere" in told["ali"][0].payload["title"] or "can no longer" in told["ali"][0].payload["title"]
        assert [n.type for n in told["anna"]] == ["reminder", "reminder"]
        assert {n.payload["kind"] for n in told["anna"]} == {"handover"}  # a contract type, marked
        assert "bo" not in told
        kinds = [e.kind for e in session.execute(select(TimelineEvent).where(TimelineEvent.alert_id == alert.id))
                 .scalars()]
        assert "alert.owner_left" in kinds
        # Unanswered, the ladder goes on from here as for any open alert.
        clock.advance(seconds=app.config["ACK_TIMEOUT_S"] + 1)
        engine.tick(session, clock)
        assert session.get(Alert, alert.id).escalations == 1


def test_a_running_visit_whose_buddy_leaves_is_told_and_can_choose_another(app, db, clock):
    with db as session:
        p = _people(session)
        visit = _start(session, clock, p["anna"], p["bo"])
        admin.deactivate(session, clock, p["bo"], actor_id=None, reason="sso")
        session.commit()
        told = _told(session)
        assert told["anna"][0].payload["url"] == f"/visits/{visit.id}/buddy"
        assert told["lene"][0].payload["url"] == f"/visits/{visit.id}/buddy"  # the leader may choose too
        assert "ali" not in told  # a unit with a leader: the leader follows up
        assert handover.buddy_has_left(session.get(Visit, visit.id))

        # No new buddy yet: the overdue alert skips level 1 (Bo would never get it) and goes to level 2.
        clock.advance(minutes=30, seconds=app.config["GRACE_S"] + 1)
        engine.tick(session, clock)
        alert = session.execute(select(Alert).where(Alert.visit_id == visit.id)).scalar_one()
        assert alert.level == 2
        assert {n.recipient.username for n in session.execute(
            select(Notification).where(Notification.alert_id == alert.id)).scalars()} == {"lene", "ali"}


def test_the_leader_chooses_a_new_buddy_who_then_gets_the_open_alert(app, db, clock):
    with db as session:
        p = _people(session)
        carl = admin.create_user(session, clock, username="carl", name="Carl Berg", password="demo",
                                 unit=p["anna"].unit)
        visit = _start(session, clock, p["anna"], p["bo"])
        clock.advance(minutes=30, seconds=app.config["GRACE_S"] + 1)
        engine.tick(session, clock)  # overdue, level 1 to Bo
        admin.deactivate(session, clock, p["bo"], actor_id=None)
        session.commit()
        visit = handover.visit_for_buddy_change(session, p["lene"], visit.id)
        assert [u.username for u in handover.buddy_choices(session, visit)] == ["ali", "carl", "lene"]
        session.query(Notification).delete()
        session.commit()
        handover.change_buddy(session, clock, p["lene"], visit, carl)
        session.commit()
        assert session.get(Visit, visit.id).buddy_id == carl.id
        told = _told(session)
        assert [n.type for n in told["carl"]] == ["alert"]  # he responds to the open alert now
        assert [n.type for n in told["anna"]] == ["reminder"]  # Anna hears who her buddy is now
        events = [e.kind for e in session.execute(select(TimelineEvent).where(TimelineEvent.visit_id == visit.id))
                  .scalars()]
        assert "visit.buddy_left" in events and "visit.buddy_changed" in events


def test_who_may_change_the_buddy(app, db, clock):
    with db as session:
        p = _people(session)
        visit = _start(session, clock, p["anna"], p["bo"])
        for username, allowed in (("anna", True), ("lene", True), ("admin", True), ("bo", False), ("ali", False)):
            assert handover.may_change_buddy(visit, p[username]) is allowed, username
        try:
            handover.change_buddy(session, clock, p["anna"], visit, p["admin"])
        except handover.HandoverError as exc:
            assert exc.code == "invalid_buddy"
        else:
            raise AssertionError("an administrator cannot be a buddy")


def test_a_leaver_on_their_own_visit_stays_watched_and_the_buddy_is_told(app, db, clock):
    with db as session:
        p = _people(session)
        visit = _start(session, clock, p["anna"], p["bo"])
        result = admin.deactivate(session, clock, p["anna"], actor_id=None)
        session.commit()
        assert result.own_visits == [visit.id]
        told = _told(session)
        assert told["bo"][0].payload["phone"] == p["anna"].phone
        assert "lene" in told
        assert session.get(Visit, visit.id).state == "active"  # still watched by the server
