"""Home visits: start, extend, check out (with PIN and duress PIN), location, SOS.

Plain functions taking a session, a clock and the acting user; they raise VisitError with an HTTP-ish
status and a machine code, and never know about requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.alerts import services as alerts
from app.alerts.access import is_responder
from app.clock import Clock
from app.database import attach_as_loaded, insert_unless_present
from app.models import Alert, ClientAction, Unit, User, Visit
from app.passwords import hash_secret, verify_secret
from app.textcheck import contains_cpr
from app.visits.ladder import reschedule, timings_for
from app.watchdog.wakeup import request_wakeup

LOCAL = ZoneInfo("Europe/Copenhagen")
MAX_VISIT = timedelta(hours=12)
# A running watchdog re-reads the earliest due time at least every BEAT_EVERY (10 s) and never sleeps
# longer than MAX_SLEEP (30 s) (app/watchdog/runner.py). A change whose next step is further away than
# this horizon is found in time without waking anyone, so it sends no NOTIFY: under load every NOTIFY
# makes every watchdog run a tick, for visits whose first step is usually 25 minutes or more away.
WAKE_HORIZON = timedelta(seconds=60)


class VisitError(Exception):
    def __init__(self, status: int, code: str, message) -> None:
        super().__init__(str(message))
        self.status, self.code, self.message = status, code, str(message)


@dataclass
class VisitPlan:
    id: str
    planned_end: datetime
    buddy: User
    place: str
    interrupt_at: datetime | None = None
    two_person: bool = False
    second_colleague: str = ""
    checklist: dict | None = None
    lat: float | None = None
    lon: float | None = None
    accuracy: float | None = None
    client_started_at: datetime | None = None


def outside_opening_hours(unit: Unit | None, start: datetime, end: datetime) -> bool:
    """The guideline: plan meetings within opening hours; otherwise make sure you are not alone."""
    if unit is None:
        return False
    local_start, local_end = start.astimezone(LOCAL), end.astimezone(LOCAL)
    open_days = {int(d) for d in unit.open_weekdays if d.isdigit()}
    if local_start.isoweekday() not in open_days or local_end.date() != local_start.date():
        return True
    opens: time = unit.opens_at
    closes: time = unit.closes_at
    return local_start.time() < opens or local_end.time() > closes


def colleagues(session: Session, user: User) -> list[User]:
    """The people who can be this user's buddy: active members of the same unit, not admins."""
    if user.unit_id is None:
        return []
    return list(session.execute(
        select(User).where(User.unit_id == user.unit_id, User.active.is_(True), User.id != user.id,
                           User.role != "admin").order_by(User.name)
    ).scalars())


def last_buddy(session: Session, user: User) -> User | None:
    return session.execute(
        select(User).join(Visit, Visit.buddy_id == User.id)
        .where(Visit.worker_id == user.id, User.active.is_(True))
        .order_by(Visit.started_at.desc()).limit(1)
    ).scalar_one_or_none()


def active_visit(session: Session, user: User) -> Visit | None:
    return session.execute(
        select(Visit).where(Visit.worker_id == user.id, Visit.state != "closed")
        .order_by(Visit.started_at.desc()).limit(1)
    ).scalar_one_or_none()


def start(session: Session, clock: Clock, worker: User, plan: VisitPlan) -> tuple[Visit, bool]:
    """Start a visit with the client's id. The same id again returns the same visit (created=False).

    The hottest write there is: one INSERT ... ON CONFLICT DO NOTHING and one event INSERT, no
    SELECT first and no unit of work. The returned Visit is then put in the session as if it had
    just been loaded (no SQL), so a caller can go on with it like with any other visit."""
    now = clock.now()
    problem = _plan_problem(worker, plan, now)
    if problem is not None:
        # A replayed start (an offline queue, a retry) answers as the first one did, even if, say,
        # its planned end has passed since.
        return _started_before(session, worker, plan.id, problem), False
    visit = Visit(
        id=plan.id, worker_id=worker.id, buddy_id=plan.buddy.id, unit_id=worker.unit_id, state="active",
        started_at=now, client_started_at=plan.client_started_at, planned_end=plan.planned_end,
        place=plan.place.strip(), interrupt_at=plan.interrupt_at, two_person=plan.two_person,
        second_colleague=plan.second_colleague.strip(), checklist=plan.checklist or {},
        outside_opening_hours=outside_opening_hours(worker.unit, now, plan.planned_end),
        lat=plan.lat, lon=plan.lon, accuracy=plan.accuracy, location_at=now if plan.lat is not None else None,
        reminder_sent_at=None, overdue_at=None, interrupt_sent_at=None, closed_at=None, client_closed_at=None,
        close_kind="", extensions=0, version=1,
    )
    reschedule(visit, timings_for(worker.unit))
    if not insert_unless_present(session, Visit, _row_of(visit)):
        return _started_before(session, worker, plan.id, None), False
    visit.worker, visit.buddy, visit.unit = worker, plan.buddy, worker.unit
    attach_as_loaded(session, visit)  # the row exists now: this object is that row, unchanged
    alerts.insert_event(session, clock, "visit.started", visit_id=visit.id, actor_id=worker.id,
                        planned_end=plan.planned_end.isoformat(), buddy=plan.buddy.name)
    _wake_if_due_soon(session, now, visit)
    return visit, True


def _plan_problem(worker: User, plan: VisitPlan, now: datetime) -> VisitError | None:
    if plan.buddy.id == worker.id or plan.buddy.unit_id != worker.unit_id or not plan.buddy.active:
        return VisitError(400, "invalid_buddy", _l("Choose a colleague from your unit as buddy."))
    if plan.planned_end <= now:
        return VisitError(400, "planned_end_past", _l("The planned end must be in the future."))
    if plan.planned_end - now > MAX_VISIT:
        return VisitError(400, "planned_end_too_late", _l("A visit can last at most 12 hours."))
    if plan.interrupt_at is not None and not (now < plan.interrupt_at <= plan.planned_end):
        return VisitError(400, "invalid_interrupt", _l("The interruption must be during the visit."))
    for text in (plan.place, plan.second_colleague):
        if contains_cpr(text):
            return VisitError(400, "cpr_number", _l("Do not write CPR numbers in Makker."))
    if plan.two_person and not plan.second_colleague.strip():
        return VisitError(400, "second_colleague_missing", _l("Name the second colleague going with you."))
    return None


def _started_before(session: Session, worker: User, visit_id: str, problem: VisitError | None) -> Visit:
    """The visit this worker already started with this id; else `problem` (or 409: someone else's id)."""
    existing = session.get(Visit, visit_id)
    if existing is not None and existing.worker_id == worker.id:
        return existing
    if existing is not None:
        raise VisitError(409, "id_taken", _l("That visit id is already used."))
    if problem is None:  # gone again between the INSERT and now (purged): cannot happen in practice
        raise VisitError(409, "id_taken", _l("That visit id is already used."))
    raise problem


def _row_of(visit: Visit) -> dict:
    return {column.key: getattr(visit, column.key) for column in Visit.__table__.columns}


def _wake_if_due_soon(session: Session, now: datetime, visit: Visit) -> None:
    if visit.next_due_at is not None and visit.next_due_at - now <= WAKE_HORIZON:
        request_wakeup(session)


def own_visit(session: Session, worker: User, visit_id: str, *, lock: bool = False) -> Visit:
    # The buddy comes along (the answer names them): one query instead of two.
    query = select(Visit).where(Visit.id == visit_id).options(joinedload(Visit.buddy, innerjoin=True))
    if lock and session.get_bind().dialect.name == "postgresql":
        # populate_existing: a visit this session read before the lock is refreshed from the locked
        # row (the watchdog may have just changed it), so the update carries the current version.
        query = query.with_for_update(of=Visit).execution_options(populate_existing=True)
    visit = session.execute(query).scalar_one_or_none()
    if visit is None or visit.worker_id != worker.id:
        raise VisitError(404, "not_found", _l("No such visit."))
    return visit


def visible_visit(session: Session, user: User, visit_id: str) -> Visit:
    """The worker sees their visit; a responder sees it once an alert exists for it."""
    visit = session.get(Visit, visit_id)
    if visit is None:
        raise VisitError(404, "not_found", _l("No such visit."))
    if visit.worker_id == user.id or any(is_responder(a, user) for a in visit.alerts):
        return visit
    raise VisitError(404, "not_found", _l("No such visit."))


def place_visible_to(visit: Visit, user: User) -> bool:
    """The place is sealed: only the worker, and responders once an alert exists."""
    return visit.worker_id == user.id or any(is_responder(a, user) for a in visit.alerts)


def _replayed(session: Session, worker: User, action_id: str | None) -> ClientAction | None:
    if not action_id:
        return None
    action = session.get(ClientAction, action_id)
    if action is not None and action.user_id != worker.id:
        raise VisitError(409, "id_taken", _l("That action id is already used."))
    return action


def _remember(session: Session, clock: Clock, worker: User, action_id: str | None, kind: str, target: str,
              acted_at: datetime | None) -> None:
    if action_id:
        session.add(ClientAction(id=action_id, user_id=worker.id, kind=kind, target_id=target,
                                 acted_at=acted_at, received_at=clock.now()))


def extend(session: Session, clock: Clock, worker: User, visit_id: str, minutes: int, *,
           action_id: str | None = None, acted_at: datetime | None = None) -> Visit:
    """Move the planned end; every later step moves with it. A step that already fired stays fired."""
    if _replayed(session, worker, action_id):
        return own_visit(session, worker, visit_id)
    visit = own_visit(session, worker, visit_id, lock=True)
    if visit.state == "closed":
        raise VisitError(409, "visit_closed", _l("The visit is already closed."))
    if not 1 <= minutes <= 240:
        raise VisitError(400, "invalid_minutes", _l("Extend by 1 to 240 minutes."))
    now = clock.now()
    base = max(visit.planned_end, now)
    if base + timedelta(minutes=minutes) - visit.started_at > MAX_VISIT + timedelta(hours=4):
        raise VisitError(400, "too_long", _l("The visit cannot be extended further."))
    visit.planned_end = base + timedelta(minutes=minutes)
    visit.extensions += 1
    if visit.reminder_sent_at is not None:
        visit.reminder_sent_at = None  # a new end gets its own reminder
    reschedule(visit, timings_for(visit.unit))
    alerts.add_event(session, clock, "visit.extended", visit_id=visit.id, actor_id=worker.id, minutes=minutes,
                     planned_end=visit.planned_end.isoformat(),
                     acted_at=acted_at.isoformat() if acted_at else None)
    _remember(session, clock, worker, action_id, "extend", visit.id, acted_at)
    _wake_if_due_soon(session, now, visit)
    return visit


def check_pin(worker: User, pin: str | None) -> str:
    """'ok', 'duress' or 'wrong' (or 'ok' when no PINs are set)."""
    if not worker.checkout_pin_hash:
        return "ok"
    if not pin:
        return "wrong"
    if verify_secret(worker.checkout_pin_hash, pin):
        return "ok"
    if worker.duress_pin_hash and verify_secret(worker.duress_pin_hash, pin):
        return "duress"
    return "wrong"


def checkout(session: Session, clock: Clock, worker: User, visit_id: str, pin: str | None = None, *,
             action_id: str | None = None, acted_at: datetime | None = None,
             lat: float | None = None, lon: float | None = None) -> Visit:
    """Close the visit. A duress PIN looks exactly the same to the worker and raises a silent alarm."""
    if _replayed(session, worker, action_id):
        return own_visit(session, worker, visit_id)
    visit = own_visit(session, worker, visit_id, lock=True)
    if visit.state == "closed":
        return visit  # idempotent: a check-out that arrives twice answers the same
    verdict = check_pin(worker, pin)
    if verdict == "wrong":
        raise VisitError(400, "wrong_pin", _l("Wrong PIN. The visit is still running."))
    now = clock.now()
    visit.state, visit.closed_at, visit.client_closed_at, visit.next_due_at = "closed", now, acted_at, None
    visit.close_kind = "duress" if verdict == "duress" else "checkout"
    alerts.add_event(session, clock, "visit.checked_out", visit_id=visit.id, actor_id=worker.id,
                     acted_at=acted_at.isoformat() if acted_at else None)
    if verdict == "duress":
        alerts.raise_alert(session, clock, worker, reason="duress", visit=visit, lat=lat, lon=lon)
    elif visit.overdue_at is not None:  # only then can an overdue alert be open (no query otherwise)
        for alert in visit.alerts:
            if alert.reason == "overdue" and alert.state != "resolved":
                alerts.resolve(session, clock, alert, worker, "safe", "checked out", by_worker=True)
    _remember(session, clock, worker, action_id, "checkout", visit.id, acted_at)
    # No wake-up of its own: a closed visit has no due step, and raise_alert (duress) and resolve
    # (the overdue alert) wake the watchdog for the messages they queue.
    return visit


def update_location(session: Session, clock: Clock, worker: User, visit_id: str, lat: float, lon: float,
                    accuracy: float | None) -> None:
    """Location is kept only while a visit runs or an alert for it is open."""
    visit = own_visit(session, worker, visit_id)
    open_alerts = [a for a in visit.alerts if a.state != "resolved"]
    if visit.state == "closed" and not open_alerts:
        raise VisitError(409, "visit_closed", _l("The visit is closed; location is no longer shared."))
    now = clock.now()
    visit.lat, visit.lon, visit.accuracy, visit.location_at = lat, lon, accuracy, now
    for alert in open_alerts:
        alerts.update_location(session, clock, alert, lat, lon, accuracy)


def sos(session: Session, clock: Clock, worker: User, *, visit_id: str | None = None, lat: float | None = None,
        lon: float | None = None, accuracy: float | None = None, alert_id: str | None = None,
        acted_at: datetime | None = None) -> tuple[Alert, bool]:
    """Raise an SOS (with or without a visit): level 2 at once. The same client id twice creates one alert."""
    if alert_id:
        existing = session.get(Alert, alert_id)
        if existing is not None:
            if existing.worker_id != worker.id:
                raise VisitError(409, "id_taken", _l("That alert id is already used."))
            return existing, False
    visit = None
    if visit_id:
        visit = own_visit(session, worker, visit_id, lock=True)
    elif (running := active_visit(session, worker)) is not None:
        visit = running
    if visit is not None and visit.state != "closed":
        visit.state = "alarm"
        reschedule(visit, timings_for(visit.unit))
    if visit is not None and lat is not None:
        visit.lat, visit.lon, visit.accuracy, visit.location_at = lat, lon, accuracy, clock.now()
    alert = alerts.raise_alert(session, clock, worker, reason="sos", visit=visit, lat=lat, lon=lon,
                               accuracy=accuracy, alert_id=alert_id, client_created_at=acted_at)
    return alert, True


def set_pins(session: Session, worker: User, checkout_pin: str, duress_pin: str) -> None:
    if checkout_pin == duress_pin:
        raise VisitError(400, "pins_equal", _l("The two PINs must be different."))
    worker.checkout_pin_hash = hash_secret(checkout_pin)
    worker.duress_pin_hash = hash_secret(duress_pin)


def clear_pins(session: Session, worker: User) -> None:
    worker.checkout_pin_hash = None
    worker.duress_pin_hash = None
