"""Drills: plan and start one, stop it. Plain functions: a session, a clock, the actor.
The result page's reading is in app/drills/results.py.

What a drill is (README "Drills"):
- `person`: is this one person reached? A drill alarm to that person alone, as a buddy's level 1;
  not taken within the unit's acknowledgement time, it comes again as level 2 (with the unit's
  level-2 SMS rule); then it ends. Nobody else is alerted.
- `visit` (a visit pattern): what happens if `worker` does not check out from a visit with `buddy`:
  exactly the real ladder of an overdue visit, level 1 to the buddy, then level 2 to the buddy and
  the unit's leaders and AMRs; the first to take it owns it and the others are told; then it ends.
  No real visit is involved (no place, no visit row); the worker is not alerted, as in reality.
- `unit`: is everyone who may have to answer an alarm reached? Every active member of the unit who
  can respond (staff, leaders, AMRs; not administrators), except the one who starts it, gets a
  one-person drill of their own, so each acknowledges for themselves.

Always: every message says TEST/ØVELSE; nobody on a visit right now is alerted (a drill never rings
a phone in front of a citizen); no drill starts while a real alarm of the unit is open or another
drill runs; a real alarm stops a running drill at once (app/drills/ladder.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.alerts.services import add_event, notify_responders
from app.clock import Clock
from app.drills import ladder
from app.models import Alert, Drill, DrillPerson, Unit, User, Visit
from app.models.org import RESPONDER_ROLES
from app.visits.ladder import timings_for
from app.watchdog.wakeup import request_wakeup

RESPONDING_ROLES = ("staff", *RESPONDER_ROLES)  # administrators answer no alarms


class DrillError(Exception):
    def __init__(self, status: int, code: str, message) -> None:
        super().__init__(str(message))
        self.status, self.code, self.message = status, code, str(message)


def may_run_drills(user: User) -> bool:
    return bool(user.is_authenticated and user.active and (
        user.role == "admin" or (user.role in RESPONDER_ROLES and user.unit_id is not None)))


def may_see(user: User, drill: Drill) -> bool:
    return may_run_drills(user) and (user.role == "admin" or user.unit_id == drill.unit_id)


def visible_drill(session: Session, user: User, drill_id: str) -> Drill:
    drill = session.get(Drill, str(drill_id)[:64])
    if drill is None or not may_see(user, drill):
        raise DrillError(404, "not_found", _l("There is no such drill."))
    return drill


def state_of(session: Session, drill: Drill) -> str:
    """running, ended (every alert of it ended by itself or was taken) or stopped."""
    if drill.stopped_at is not None:
        return "stopped"
    running = session.execute(select(Alert.id).where(Alert.drill_id == drill.id, Alert.state != "resolved")
                              .limit(1)).first()
    return "running" if running else "ended"


def recent(session: Session, user: User, limit: int = 20) -> list[Drill]:
    query = select(Drill).order_by(Drill.created_at.desc()).limit(limit)
    if user.role != "admin":
        query = query.where(Drill.unit_id == user.unit_id)
    return list(session.execute(query).scalars())


def candidates(session: Session, user: User) -> list[User]:
    """Who a drill may be for: active members of the user's unit who answer alarms."""
    if user.unit_id is None:
        return []
    return list(session.execute(select(User).where(
        User.unit_id == user.unit_id, User.active.is_(True), User.role.in_(RESPONDING_ROLES)).order_by(User.name)
    ).scalars())


# --- Planning -------------------------------------------------------------------------------------

@dataclass
class Plan:
    """Who a drill reaches: one alert per entry of `alerts`, each a list of (person, tier)."""

    kind: str
    unit: Unit
    worker: User  # in whose name its alerts run: the visit pattern's worker, else the starter
    alerts: list[list[tuple[User, int]]] = field(default_factory=list)
    skipped: list[tuple[User, int]] = field(default_factory=list)  # on a visit: never alerted


def _on_visit(session: Session, user_ids: list[int]) -> set[int]:
    if not user_ids:
        return set()
    return set(session.execute(
        select(Visit.worker_id).where(Visit.worker_id.in_(user_ids), Visit.state != "closed")).scalars())


def _member(session: Session, starter: User, username: str) -> User:
    """An active member of the starter's unit (any unit for an administrator) who answers alarms.
    Anyone else: 404, so a leader learns nothing about other units' people."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or user.unit_id is None or (starter.role != "admin" and user.unit_id != starter.unit_id):
        raise DrillError(404, "not_found", _l("There is no such person in your unit."))
    if not user.active or user.role not in RESPONDING_ROLES:
        raise DrillError(400, "cannot_answer",
                         _l("%(name)s gets no alarms in Makker, so a drill cannot reach them.", name=user.name))
    return user


def _not_on_visit(session: Session, user: User) -> None:
    if _on_visit(session, [user.id]):
        raise DrillError(409, "on_visit", _l("%(name)s is on a visit now, and a drill must not disturb a visit. "
                                             "Start it when they are back.", name=user.name))


def _plan_unit(session: Session, starter: User) -> Plan:
    if starter.unit is None:
        raise DrillError(400, "no_unit", _l("You belong to no unit. Start the drill for a person instead."))
    members = [m for m in candidates(session, starter) if m.id != starter.id]
    out = _on_visit(session, [m.id for m in members])
    result = Plan("unit", starter.unit, starter, [[(m, 1)] for m in members if m.id not in out],
                  [(m, 1) for m in members if m.id in out])
    if not result.alerts:
        raise DrillError(409, "nobody", _l("Nobody in the unit can be reached by a drill now."))
    return result


def _plan_person(session: Session, starter: User, username: str) -> Plan:
    person = _member(session, starter, username)
    if person.id == starter.id:
        raise DrillError(400, "own_phone", _l("To test your own phone, use “Test my phone” under Settings."))
    _not_on_visit(session, person)
    return Plan("person", person.unit, starter, [[(person, 1)]])


def _plan_visit(session: Session, starter: User, worker: str, buddy: str) -> Plan:
    the_worker = _member(session, starter, worker)
    the_buddy = _member(session, starter, buddy)
    if the_buddy.unit_id != the_worker.unit_id:
        raise DrillError(400, "invalid", _l("The buddy must be in the worker's unit."))
    if the_worker.id == the_buddy.id:
        raise DrillError(400, "invalid", _l("The worker cannot be their own buddy."))
    _not_on_visit(session, the_worker)
    _not_on_visit(session, the_buddy)
    level2 = list(session.execute(select(User).where(
        User.unit_id == the_worker.unit_id, User.active.is_(True), User.role.in_(RESPONDER_ROLES),
        User.id.not_in([the_worker.id, the_buddy.id])).order_by(User.name)).scalars())
    out = _on_visit(session, [u.id for u in level2])
    return Plan("visit", the_worker.unit, the_worker,
                [[(the_buddy, 1), *[(u, 2) for u in level2 if u.id not in out]]],
                [(u, 2) for u in level2 if u.id in out])


def plan(session: Session, starter: User, *, username: str | None = None, unit: bool = False,
         worker: str | None = None, buddy: str | None = None) -> Plan:
    """Who the drill would reach, or a DrillError saying why it cannot start now."""
    if not may_run_drills(starter):
        raise DrillError(403, "forbidden", _l("Only leaders, AMRs and administrators start drills."))
    if sum(bool(x) for x in (username, unit, worker or buddy)) != 1:
        raise DrillError(400, "invalid",
                         _l("Choose one: a person, a visit pattern (worker and buddy) or the whole unit."))
    if unit:
        result = _plan_unit(session, starter)
    elif username:
        result = _plan_person(session, starter, username)
    elif worker and buddy:
        result = _plan_visit(session, starter, worker, buddy)
    else:
        raise DrillError(400, "invalid", _l("A visit pattern needs both a worker and a buddy."))
    # Two leaders starting at once: the second waits here (PostgreSQL), then sees the first drill.
    session.execute(select(Unit.id).where(Unit.id == result.unit.id).with_for_update())
    busy = set(session.execute(select(Alert.drill_id).where(
        Alert.unit_id == result.unit.id, Alert.state != "resolved").limit(100)).scalars())
    if None in busy:
        raise DrillError(409, "real_alarm_open",
                         _l("A real alarm of the unit is open. Start the drill when it is over."))
    if busy:
        raise DrillError(409, "drill_running",
                         _l("A drill is already running in the unit. Stop it or wait until it is over."))
    return result


# --- Starting and stopping ------------------------------------------------------------------------

def start(session: Session, clock: Clock, starter: User, the_plan: Plan) -> Drill:
    """Write the drill, its alerts and people, and its first messages (the outbox sends them)."""
    now = clock.now()
    drill = Drill(id=str(uuid.uuid4()), unit_id=the_plan.unit.id, started_by_id=starter.id, started_by=starter,
                  kind=the_plan.kind, worker_id=the_plan.worker.id if the_plan.kind == "visit" else None,
                  created_at=now, stop_reason="")
    session.add(drill)
    session.flush()  # the alerts and people point at it (no relationship orders the inserts)
    ack_timeout = timings_for(the_plan.unit).ack_timeout
    alerts = []
    for people in the_plan.alerts:
        alert = Alert(id=str(uuid.uuid4()), visit_id=None, worker_id=the_plan.worker.id, worker=the_plan.worker,
                      unit_id=the_plan.unit.id, reason="overdue", level=1, state="open", created_at=now,
                      next_escalation_at=now + ack_timeout, escalations=0, note="", drill_id=drill.id)
        session.add(alert)
        alerts.append((alert, people))
    session.flush()
    for alert, people in alerts:
        session.add_all(DrillPerson(drill_id=drill.id, user_id=u.id, alert_id=alert.id, tier=tier, skipped="")
                        for u, tier in people)
    session.add_all(DrillPerson(drill_id=drill.id, user_id=u.id, alert_id=None, tier=tier, skipped="on_visit")
                    for u, tier in the_plan.skipped)
    session.flush()
    for alert, _people in alerts:
        add_event(session, clock, "drill.started", alert_id=alert.id, actor_id=starter.id, drill=drill.kind)
        notify_responders(session, clock, alert)
    audit.record(session, "drill.started", actor_id=starter.id, object_type="drill", object_id=drill.id,
                 detail={"kind": drill.kind, "alerts": len(alerts), "skipped": len(the_plan.skipped)}, clock=clock)
    request_wakeup(session)
    return drill


def stop(session: Session, clock: Clock, drill: Drill, user: User) -> int:
    """The leader stops a running drill: its alerts end, the people they reached are told."""
    if state_of(session, drill) != "running":
        raise DrillError(409, "drill_over", _l("The drill is already over."))
    ended = ladder.stop(session, clock, drill, reason="leader", by=user)
    audit.record(session, "drill.stopped", actor_id=user.id, object_type="drill", object_id=drill.id,
                 detail={"alerts": ended}, clock=clock)
    request_wakeup(session)
    return ended
