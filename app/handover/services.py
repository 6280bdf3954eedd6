"""When a person loses access (deactivated by the admin, or single sign-on no longer gives them a
role), nothing they were doing for others is dropped silently:

- an alert they had taken goes back to open at level 2 and is sent again to the other responders
  (the buddy's own alert would otherwise reach nobody), and the worker is told who has it now;
- an open level-1 alert where they are the buddy goes to level 2 at once;
- a colleague on a running visit with them as buddy is told to choose another buddy, and so are the
  unit's leaders, who may choose one too; until then an overdue alert starts at level 2;
- their own running visit stays watched, and its buddy and the leaders are told to call them.

Every hand-over is on the alert's or visit's timeline, and `change_buddy` records the new buddy."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts import services as alerts
from app.alerts.access import responders
from app.clock import Clock
from app.database import is_postgres
from app.handover import messages
from app.models import Alert, User, Visit
from app.models.org import RESPONDER_ROLES
from app.notify.outbox import enqueue
from app.visits.ladder import timings_for
from app.watchdog.wakeup import request_wakeup


class HandoverError(Exception):
    def __init__(self, status: int, code: str, message) -> None:
        super().__init__(str(message))
        self.status, self.code, self.message = status, code, str(message)


@dataclass
class Handover:
    alerts_reopened: list[str] = field(default_factory=list)
    alerts_escalated: list[str] = field(default_factory=list)
    visits_without_buddy: list[str] = field(default_factory=list)
    own_visits: list[str] = field(default_factory=list)
    told: set[int] = field(default_factory=set)

    def as_detail(self) -> dict:
        return {"alerts_reopened": len(self.alerts_reopened), "alerts_escalated": len(self.alerts_escalated),
                "visits_without_buddy": len(self.visits_without_buddy), "own_visits": len(self.own_visits),
                "people_told": len(self.told)}


def leaders_of(session: Session, unit_id: int | None, *, except_id: int) -> list[User]:
    """The unit's active leaders (its AMRs when it has no leader), who follow up on hand-overs."""
    if unit_id is None:
        return []
    people = list(session.execute(
        select(User).where(User.unit_id == unit_id, User.active.is_(True), User.role.in_(RESPONDER_ROLES),
                           User.id != except_id).order_by(User.name)
    ).scalars())
    leaders = [p for p in people if p.role == "leader"]
    return leaders or people


def _tell(session, clock, person: User, result: Handover, step: str, payload: dict, *, type: str = "reminder",
          alert_id=None, visit_id=None, urgent=False) -> None:
    # The contract's push types are a closed list: a hand-over notice is a `reminder` (it asks the
    # person to act and stays on screen) marked with `kind: "handover"`.
    if type == "reminder":
        payload = {**payload, "kind": "handover"}
    if enqueue(session, clock, person, type=type, step_key=step, tag=step, payload=payload, alert_id=alert_id,
               visit_id=visit_id, urgent=urgent):
        result.told.add(person.id)


def hand_over(session: Session, clock: Clock, leaver: User) -> Handover:
    """Hand over what `leaver` (already inactive) was doing for others. Call in the transaction that
    deactivates them."""
    now = clock.now()
    stamp = int(now.timestamp())
    result = Handover()
    session.flush()  # the leaver's `active = False` must be seen by the queries below

    for alert in session.execute(
        select(Alert).where(Alert.owner_id == leaver.id, Alert.state == "acknowledged")
    ).scalars():
        alert.state, alert.owner_id, alert.owner, alert.acknowledged_at = "open", None, None, None
        if alert.level < 2:
            alert.level, alert.escalated_at = 2, now
        alert.next_escalation_at = now + timings_for(alert.unit).ack_timeout
        others = responders(session, alert)
        hidden = alert.reason == "duress"
        alerts.add_event(session, clock, "alert.owner_left", alert_id=alert.id, visit_id=alert.visit_id,
                         actor_id=leaver.id, hidden_from_worker=hidden, names=[p.name for p in others])
        for person in others:
            _tell(session, clock, person, result, f"alert:{alert.id}:owner-left:{leaver.id}:{stamp}",
                  messages.alert_again(person, alert, leaver), type="alert", alert_id=alert.id,
                  visit_id=alert.visit_id, urgent=True)
        if not hidden and alert.worker.active:
            _tell(session, clock, alert.worker, result, f"alert:{alert.id}:owner-left-worker:{stamp}",
                  messages.alert_owner_left(alert.worker, alert, leaver, others), alert_id=alert.id,
                  visit_id=alert.visit_id)
        result.alerts_reopened.append(alert.id)

    running = list(session.execute(
        select(Visit).where(Visit.buddy_id == leaver.id, Visit.state != "closed").order_by(Visit.planned_end)
    ).scalars())
    for visit in running:
        for alert in visit.alerts:
            if alert.state == "open" and alert.level < 2:
                alerts.add_event(session, clock, "alert.buddy_left", alert_id=alert.id, visit_id=visit.id,
                                 actor_id=leaver.id, hidden_from_worker=alert.reason == "duress")
                alerts.escalate(session, clock, alert)  # level 2 now: the buddy will not answer
                result.alerts_escalated.append(alert.id)
        alerts.add_event(session, clock, "visit.buddy_left", visit_id=visit.id, actor_id=leaver.id,
                         buddy=leaver.name)
        if visit.worker.active:
            _tell(session, clock, visit.worker, result, f"visit:{visit.id}:buddy-left:{stamp}",
                  messages.buddy_left_worker(visit.worker, visit, leaver), visit_id=visit.id, urgent=True)
        for leader in leaders_of(session, visit.unit_id, except_id=leaver.id):
            if leader.id != visit.worker_id:
                _tell(session, clock, leader, result, f"visit:{visit.id}:buddy-left-leader:{stamp}",
                      messages.buddy_left_leader(leader, visit, leaver), visit_id=visit.id)
        result.visits_without_buddy.append(visit.id)

    for visit in session.execute(
        select(Visit).where(Visit.worker_id == leaver.id, Visit.state != "closed")
    ).scalars():
        alerts.add_event(session, clock, "visit.worker_left", visit_id=visit.id, actor_id=leaver.id)
        people = [visit.buddy] if visit.buddy.active else []
        people += [p for p in leaders_of(session, visit.unit_id, except_id=leaver.id) if p.id != visit.buddy_id]
        for person in people:
            _tell(session, clock, person, result, f"visit:{visit.id}:worker-left:{stamp}",
                  messages.worker_left(person, visit, leaver), visit_id=visit.id, urgent=True)
        result.own_visits.append(visit.id)

    if result.told:
        request_wakeup(session)
    return result


# --- Choosing another buddy for a running visit --------------------------------------------------

def may_change_buddy(visit: Visit, user: User) -> bool:
    """The worker, a leader of the visit's unit, or an administrator."""
    if visit.worker_id == user.id:
        return True
    return user.role == "admin" or (user.role == "leader" and user.unit_id is not None
                                    and user.unit_id == visit.unit_id)


def visit_for_buddy_change(session: Session, user: User, visit_id: str, *, lock: bool = False) -> Visit:
    query = select(Visit).where(Visit.id == visit_id)
    if lock and is_postgres(session):
        query = query.with_for_update(of=Visit).execution_options(populate_existing=True)
    visit = session.execute(query).scalar_one_or_none()
    if visit is None or not may_change_buddy(visit, user):
        raise HandoverError(404, "not_found", _l("No such visit."))
    return visit


def buddy_choices(session: Session, visit: Visit) -> list[User]:
    """Active colleagues of the worker's unit (not admins), the current buddy left out."""
    if visit.worker.unit_id is None:
        return []
    return list(session.execute(
        select(User).where(User.unit_id == visit.worker.unit_id, User.active.is_(True), User.role != "admin",
                           User.id.not_in([visit.worker_id, visit.buddy_id])).order_by(User.name)
    ).scalars())


def change_buddy(session: Session, clock: Clock, actor: User, visit: Visit, new_buddy: User | None) -> None:
    if visit.state == "closed":
        raise HandoverError(409, "visit_closed", _l("The visit is already closed."))
    if new_buddy is None or new_buddy.id not in {u.id for u in buddy_choices(session, visit)}:
        raise HandoverError(400, "invalid_buddy", _l("Choose a colleague from the unit as buddy."))
    old = visit.buddy
    visit.buddy_id, visit.buddy = new_buddy.id, new_buddy
    alerts.add_event(session, clock, "visit.buddy_changed", visit_id=visit.id, actor_id=actor.id,
                     **{"from": old.name, "to": new_buddy.name})
    stamp = int(clock.now().timestamp())
    result = Handover()
    open_alerts = [a for a in visit.alerts if a.state != "resolved"]
    for alert in open_alerts:  # the new buddy responds to them now
        _tell(session, clock, new_buddy, result, f"alert:{alert.id}:buddy:{new_buddy.id}:{stamp}",
              messages.visit_messages.alert(new_buddy, alert), type="alert", alert_id=alert.id,
              visit_id=visit.id, urgent=True)
    if not open_alerts:
        _tell(session, clock, new_buddy, result, f"visit:{visit.id}:new-buddy:{new_buddy.id}:{stamp}",
              messages.new_buddy(new_buddy, visit, actor), visit_id=visit.id)
    if actor.id != visit.worker_id and visit.worker.active:
        _tell(session, clock, visit.worker, result, f"visit:{visit.id}:buddy-chosen:{stamp}",
              messages.buddy_chosen_for_you(visit.worker, visit, actor), visit_id=visit.id)
    request_wakeup(session)


def buddy_has_left(visit: Visit) -> bool:
    return visit.state != "closed" and not visit.buddy.active
