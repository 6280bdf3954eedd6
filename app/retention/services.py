"""Retention: what Makker forgets, and when. Plain functions: a session, a clock (or a fixed `now`), a policy.

Rules, in the order a run applies them (earlier rules free rows for later ones in the same run):

1. incidents   registered/closed incidents, `incidents_days` after closing (or registration if still open),
               with their comments, checklist and audit rows (who read or changed them)
2. drafts      incident drafts never submitted, `drafts_days` after their last change
3. alerts      resolved alerts, `alerts_days` after resolution, with their timeline, notifications, outbox
               entries and delivery attempts; an alert an incident refers to is kept
   (12. drills: drills started `alerts_days` ago whose alerts are gone, with the list of their people)
4. visits      closed visits, `visits_days` after closing, with timeline, notifications, outbox entries,
               delivery attempts and replay records; kept while an alert or an incident refers to them
5. places      closed visits, `places_days` after closing: place, position (lat, lon, accuracy, time) erased,
               and the texts of their notifications (an alert's message names the place); never while an
               alert of the visit is unresolved
6. positions   resolved alerts, `places_days` after resolution: position erased
7. messages    notifications not about an alert (reminders, interruptions, incident messages, tests),
               `places_days` after they were written, once none of their outbox entries is pending
8. mail sink, replay records (client actions): `places_days`
9. sign-ins    sessions `sessions_days` after they expired or were revoked
10. leavers    accounts deactivated `sessions_days` ago (and not reactivated): their push subscriptions
               (device addresses) and ambulance letter with its next of kin; the account itself stays,
               for the records that name it
11. audit log  `audit_days`

Open or acknowledged alerts and visits that are not closed are never touched, whatever their age.
Every rule works in batches of `batch` rows (one short transaction each); the rows are chosen by a time
predicate (and locked with SKIP LOCKED on PostgreSQL), so several processes may purge at once."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app import audit
from app.clock import Clock
from app.database import is_postgres
from app.models import (
    Alert,
    AmbulanceLetter,
    AuditEntry,
    ClientAction,
    DeliveryAttempt,
    Drill,
    DrillPerson,
    Incident,
    IncidentCheck,
    IncidentComment,
    MailSinkMessage,
    NextOfKin,
    Notification,
    OutboxEntry,
    PushSubscription,
    TimelineEvent,
    User,
    UserSession,
    Visit,
)
from app.models.retention import RetentionRun

log = logging.getLogger(__name__)

BATCH = 500
# Not settings: drafts nobody touched for three months are abandoned; a sign-in row is kept a month
# after it stopped working (the devices list and support questions), then its IP and browser go.
DRAFTS_DAYS = 90
SESSIONS_DAYS = 30

# The scheduled run: the first watchdog tick after 03:00 local time, once per local day.
RUN_AFTER = dtime(3, 0)
LOCAL_TZ = ZoneInfo("Europe/Copenhagen")
# A scheduled run does at most this much per watchdog tick, so alarms are never held up for long.
TICK_BATCHES = 10
TICK_SECONDS = 1.0
# A worker owns a run this long after its last batch; then another watchdog may take it over.
LEASE = timedelta(minutes=5)
RETRY_AFTER = timedelta(minutes=5)

# Every count a report has, in the order they are shown.
KINDS = (
    "incidents", "incident_drafts", "incident_comments", "incident_checks", "incident_audit_entries",
    "alerts", "visits", "timeline_events", "notifications", "outbox_entries", "delivery_attempts",
    "visit_places", "notification_texts", "alert_positions", "mail_sink", "client_actions", "sessions",
    "push_subscriptions", "ambulance_letters", "next_of_kin", "audit_entries", "drills", "drill_people",
)


@dataclass(frozen=True)
class Policy:
    places_days: int = 30
    visits_days: int = 365
    alerts_days: int = 365
    incidents_days: int = 1825
    audit_days: int = 2190
    drafts_days: int = DRAFTS_DAYS
    sessions_days: int = SESSIONS_DAYS

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"retention {name} must be a whole number of days, at least 1 (got {value!r})")

    @classmethod
    def from_config(cls, config, **overrides) -> Policy:
        values = {
            "places_days": config["RETAIN_PLACES_DAYS"],
            "visits_days": config["RETAIN_VISITS_DAYS"],
            "alerts_days": config["RETAIN_ALERTS_DAYS"],
            "incidents_days": config["RETAIN_INCIDENTS_DAYS"],
            "audit_days": config["RETAIN_AUDIT_DAYS"],
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @classmethod
    def from_dict(cls, values: dict) -> Policy:
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class PurgeReport:
    policy: Policy
    now: datetime
    dry_run: bool = False
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    batches: int = 0  # transactions that changed something
    stage: int = 0  # the next rule (len(RULES) when finished)
    finished: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, counts: dict[str, int]) -> None:
        for kind, n in counts.items():
            self.counts[kind] = self.counts.get(kind, 0) + max(n, 0)


@dataclass
class _Ctx:
    now: datetime
    policy: Policy
    batch: int
    pg: bool

    def cutoff(self, days: int) -> datetime:
        return self.now - timedelta(days=days)


# --- Predicates --------------------------------------------------------------------------------------

def _incidents_done(ctx: _Ctx):
    return and_(Incident.status.in_(("registered", "closed")),
                func.coalesce(Incident.closed_at, Incident.registered_at) < ctx.cutoff(ctx.policy.incidents_days))


def _incident_drafts(ctx: _Ctx):
    return and_(Incident.status == "draft", Incident.updated_at < ctx.cutoff(ctx.policy.drafts_days))


def _alerts_expired(ctx: _Ctx):
    return and_(Alert.state == "resolved", Alert.resolved_at < ctx.cutoff(ctx.policy.alerts_days),
                ~exists().where(Incident.alert_id == Alert.id))


def _visits_expired(ctx: _Ctx):
    return and_(Visit.state == "closed", Visit.closed_at < ctx.cutoff(ctx.policy.visits_days),
                ~exists().where(Alert.visit_id == Visit.id),
                ~exists().where(Incident.visit_id == Visit.id))


def _visit_places(ctx: _Ctx):
    return and_(Visit.state == "closed", Visit.closed_at < ctx.cutoff(ctx.policy.places_days),
                or_(Visit.place != "", Visit.lat.is_not(None), Visit.lon.is_not(None),
                    Visit.accuracy.is_not(None), Visit.location_at.is_not(None)),
                ~exists().where(Alert.visit_id == Visit.id, Alert.state != "resolved"))


def _alert_positions(ctx: _Ctx):
    return and_(Alert.state == "resolved", Alert.resolved_at < ctx.cutoff(ctx.policy.places_days),
                or_(Alert.lat.is_not(None), Alert.lon.is_not(None), Alert.accuracy.is_not(None),
                    Alert.location_at.is_not(None)))


def _nothing_pending():
    return ~exists().where(OutboxEntry.notification_id == Notification.id, OutboxEntry.state == "pending")


def _old_messages(ctx: _Ctx):
    return and_(Notification.alert_id.is_(None), Notification.created_at < ctx.cutoff(ctx.policy.places_days),
                _nothing_pending())


def _old_mail(ctx: _Ctx):
    return MailSinkMessage.created_at < ctx.cutoff(ctx.policy.places_days)


def _old_client_actions(ctx: _Ctx):
    return ClientAction.received_at < ctx.cutoff(ctx.policy.places_days)


def _old_sessions(ctx: _Ctx):
    cutoff = ctx.cutoff(ctx.policy.sessions_days)
    return or_(UserSession.revoked_at < cutoff, UserSession.expires_at < cutoff)


def _left(ctx: _Ctx):
    """Users deactivated at least `sessions_days` ago and not reactivated since, with no alert still
    open for them (its responders may read the ambulance letter until it is resolved)."""
    return select(User.id).where(
        User.active.is_(False), User.deactivated_at < ctx.cutoff(ctx.policy.sessions_days),
        ~exists().where(Alert.worker_id == User.id, Alert.state != "resolved"))


def _leavers_devices(ctx: _Ctx):
    return PushSubscription.user_id.in_(_left(ctx))


def _leavers_letters(ctx: _Ctx):
    return AmbulanceLetter.user_id.in_(_left(ctx))


def _letter_children(ids) -> list:
    return [("next_of_kin", NextOfKin, NextOfKin.letter_id.in_(ids))]


def _old_drills(ctx: _Ctx):
    return and_(Drill.created_at < ctx.cutoff(ctx.policy.alerts_days), ~exists().where(Alert.drill_id == Drill.id))


def _old_audit(ctx: _Ctx):
    return AuditEntry.at < ctx.cutoff(ctx.policy.audit_days)


# --- What hangs off a row, in the order it is deleted (children first: no reliance on ON DELETE) ----

def _notification_children(notes) -> list:
    return [
        ("delivery_attempts", DeliveryAttempt, DeliveryAttempt.notification_id.in_(notes)),
        ("outbox_entries", OutboxEntry, OutboxEntry.notification_id.in_(notes)),
    ]


def _incident_children(ids) -> list:
    return [
        ("incident_comments", IncidentComment, IncidentComment.incident_id.in_(ids)),
        ("incident_checks", IncidentCheck, IncidentCheck.incident_id.in_(ids)),
        ("incident_audit_entries", AuditEntry,
         and_(AuditEntry.object_type == "incident", AuditEntry.object_id.in_(ids))),
    ]


def _alert_children(ids) -> list:
    notes = select(Notification.id).where(Notification.alert_id.in_(ids))
    return [
        ("delivery_attempts", DeliveryAttempt,
         or_(DeliveryAttempt.alert_id.in_(ids), DeliveryAttempt.notification_id.in_(notes))),
        ("outbox_entries", OutboxEntry, OutboxEntry.notification_id.in_(notes)),
        ("notifications", Notification, Notification.alert_id.in_(ids)),
        ("timeline_events", TimelineEvent, TimelineEvent.alert_id.in_(ids)),
    ]


def _drill_children(ids) -> list:
    return [("drill_people", DrillPerson, DrillPerson.drill_id.in_(ids))]


def _visit_children(ids) -> list:
    notes = select(Notification.id).where(Notification.visit_id.in_(ids))
    return [
        *_notification_children(notes),
        ("notifications", Notification, Notification.visit_id.in_(ids)),
        ("timeline_events", TimelineEvent, TimelineEvent.visit_id.in_(ids)),
        ("client_actions", ClientAction, ClientAction.target_id.in_(ids)),
    ]


# --- Batches -----------------------------------------------------------------------------------------

def _count(session: Session, model, where) -> int:
    return session.execute(select(func.count()).select_from(model).where(where)).scalar_one()


def _batch_ids(session: Session, ctx: _Ctx, model, where) -> list:
    query = select(model.id).where(where).order_by(model.id).limit(ctx.batch)
    if ctx.pg:  # rows another purger holds are left to it
        query = query.with_for_update(skip_locked=True, of=model)
    return list(session.execute(query).scalars())


def _run(session: Session, statement) -> int:
    return session.execute(statement.execution_options(synchronize_session=False)).rowcount or 0


def _delete_rule(kind: str, model, predicate: Callable, children: Callable | None = None):
    """A rule that deletes the rows of `model` matching `predicate`, with what hangs off them."""

    def rule(session: Session, ctx: _Ctx) -> tuple[dict[str, int], bool]:
        where = predicate(ctx)
        counts: dict[str, int] = {}
        ids = _batch_ids(session, ctx, model, where)
        if not ids:
            session.rollback()
            return counts, False
        for key, child, child_where in (children(ids) if children else []):
            counts[key] = counts.get(key, 0) + _run(session, delete(child).where(child_where))
        counts[kind] = _run(session, delete(model).where(model.id.in_(ids), where))
        session.commit()
        return counts, len(ids) == ctx.batch

    rule.__name__ = kind
    return rule


def _holding_leavers(rule):
    """Run `rule` with the leavers' user rows locked (PostgreSQL), so a reactivation in the middle of
    a batch waits for it: a letter and its next of kin go together or not at all."""

    def locked(session: Session, ctx: _Ctx) -> tuple[dict[str, int], bool]:
        if ctx.pg:
            session.execute(select(User.id).where(
                User.active.is_(False), User.deactivated_at < ctx.cutoff(ctx.policy.sessions_days),
            ).order_by(User.id).with_for_update())
        return rule(session, ctx)

    locked.__name__ = rule.__name__
    return locked


def _alert_messages_of(visit_ids):
    """The notifications about the alerts of these visits (by the alert too: rows written before
    notifications carried their visit_id)."""
    return and_(Notification.alert_id.is_not(None), or_(
        Notification.visit_id.in_(visit_ids),
        Notification.alert_id.in_(select(Alert.id).where(Alert.visit_id.in_(visit_ids)))))


def _erase_visit_places(session: Session, ctx: _Ctx) -> tuple[dict[str, int], bool]:
    where = _visit_places(ctx)
    ids = _batch_ids(session, ctx, Visit, where)
    if not ids:
        session.rollback()
        return {}, False
    counts = {
        # Only sending reads a payload; an alert's message names the place, so its texts go too.
        # (Messages not about an alert are deleted by their own rule.)
        "notification_texts": _run(session, update(Notification).where(
            _alert_messages_of(ids), _nothing_pending()).values(payload={})),
        "visit_places": _run(session, update(Visit).where(Visit.id.in_(ids), where).values(
            place="", lat=None, lon=None, accuracy=None, location_at=None, version=Visit.version + 1)),
    }
    session.commit()
    return counts, len(ids) == ctx.batch


def _erase_alert_positions(session: Session, ctx: _Ctx) -> tuple[dict[str, int], bool]:
    where = _alert_positions(ctx)
    ids = _batch_ids(session, ctx, Alert, where)
    if not ids:
        session.rollback()
        return {}, False
    n = _run(session, update(Alert).where(Alert.id.in_(ids), where).values(
        lat=None, lon=None, accuracy=None, location_at=None, version=Alert.version + 1))
    session.commit()
    return {"alert_positions": n}, len(ids) == ctx.batch


RULES = (
    _delete_rule("incidents", Incident, _incidents_done, _incident_children),
    _delete_rule("incident_drafts", Incident, _incident_drafts, _incident_children),
    _delete_rule("alerts", Alert, _alerts_expired, _alert_children),
    _delete_rule("visits", Visit, _visits_expired, _visit_children),
    _erase_visit_places,
    _erase_alert_positions,
    _delete_rule("notifications", Notification, _old_messages, _notification_children),
    _delete_rule("mail_sink", MailSinkMessage, _old_mail),
    _delete_rule("client_actions", ClientAction, _old_client_actions),
    _delete_rule("sessions", UserSession, _old_sessions),
    _holding_leavers(_delete_rule("push_subscriptions", PushSubscription, _leavers_devices)),
    _holding_leavers(_delete_rule("ambulance_letters", AmbulanceLetter, _leavers_letters, _letter_children)),
    _delete_rule("audit_entries", AuditEntry, _old_audit),
    # Last, so the stage of a run in progress means the same rule before and after the upgrade.
    _delete_rule("drills", Drill, _old_drills, _drill_children),
)


# --- Dry run -------------------------------------------------------------------------------------------

def _incident_gone(ctx: _Ctx):
    return or_(_incidents_done(ctx), _incident_drafts(ctx))


def _alert_gone(ctx: _Ctx):
    """The alerts rule, with the incidents that the same run deletes first already gone."""
    return and_(Alert.state == "resolved", Alert.resolved_at < ctx.cutoff(ctx.policy.alerts_days),
                ~exists().where(Incident.alert_id == Alert.id, ~_incident_gone(ctx)))


def _visit_gone(ctx: _Ctx):
    return and_(Visit.state == "closed", Visit.closed_at < ctx.cutoff(ctx.policy.visits_days),
                ~exists().where(Alert.visit_id == Visit.id, ~_alert_gone(ctx)),
                ~exists().where(Incident.visit_id == Visit.id, ~_incident_gone(ctx)))


def _dry_run(session: Session, ctx: _Ctx) -> dict[str, int]:
    """What a run at `ctx.now` would delete or erase, rule by rule, counting a row once (with the rule
    that gets to it first) and with the rows earlier rules free (a visit whose alert goes in the same run)."""
    counts: dict[str, int] = dict.fromkeys(KINDS, 0)

    def add(kind, model, where):
        counts[kind] += _count(session, model, where)

    def add_tree(kind, model, where, children):
        for key, child, child_where in children(select(model.id).where(where)):
            add(key, child, child_where)
        add(kind, model, where)

    add_tree("incidents", Incident, _incidents_done(ctx), _incident_children)
    add_tree("incident_drafts", Incident, _incident_drafts(ctx), _incident_children)
    add_tree("alerts", Alert, _alert_gone(ctx), _alert_children)
    add_tree("drills", Drill, and_(Drill.created_at < ctx.cutoff(ctx.policy.alerts_days),
                                   ~exists().where(Alert.drill_id == Drill.id, ~_alert_gone(ctx))), _drill_children)
    gone_visits = select(Visit.id).where(_visit_gone(ctx))
    # A gone visit's alerts went first, with their notifications and events.
    notes = select(Notification.id).where(Notification.visit_id.in_(gone_visits), Notification.alert_id.is_(None))
    for key, child, child_where in _notification_children(notes):
        add(key, child, child_where)
    add("notifications", Notification, Notification.id.in_(notes))
    add("timeline_events", TimelineEvent, and_(TimelineEvent.visit_id.in_(gone_visits), TimelineEvent.alert_id.is_(None)))
    add("client_actions", ClientAction, ClientAction.target_id.in_(gone_visits))
    add("visits", Visit, _visit_gone(ctx))

    erased = select(Visit.id).where(_visit_places(ctx), ~_visit_gone(ctx))
    add("visit_places", Visit, Visit.id.in_(erased))
    add("notification_texts", Notification, and_(
        _alert_messages_of(erased), _nothing_pending(),
        ~Notification.alert_id.in_(select(Alert.id).where(_alert_gone(ctx)))))
    add("alert_positions", Alert, and_(_alert_positions(ctx), ~_alert_gone(ctx)))

    messages = and_(_old_messages(ctx), or_(Notification.visit_id.is_(None), ~Notification.visit_id.in_(gone_visits)))
    add_tree("notifications", Notification, messages, _notification_children)
    add("mail_sink", MailSinkMessage, _old_mail(ctx))
    add("client_actions", ClientAction, and_(_old_client_actions(ctx), ~ClientAction.target_id.in_(gone_visits)))
    add("sessions", UserSession, _old_sessions(ctx))
    add("push_subscriptions", PushSubscription, _leavers_devices(ctx))
    add_tree("ambulance_letters", AmbulanceLetter, _leavers_letters(ctx), _letter_children)
    gone_incidents = select(Incident.id).where(_incident_gone(ctx))
    add("audit_entries", AuditEntry, and_(_old_audit(ctx), ~and_(
        AuditEntry.object_type == "incident", AuditEntry.object_id.in_(gone_incidents))))
    session.rollback()
    return counts


def purge(session: Session, clock: Clock | None, policy: Policy, *, dry_run: bool = False, batch: int = BATCH,
          now: datetime | None = None, stage: int = 0, max_batches: int | None = None,
          max_seconds: float | None = None) -> PurgeReport:
    """Apply every rule at `now` (the clock's time unless given), in batches, committing each batch.

    `dry_run` counts what would go and changes nothing (see `_dry_run`). `max_batches`/`max_seconds`
    stop early: then `finished` is False and `stage` tells where to go on (see `daily_job`)."""
    now = now or clock.now()
    ctx = _Ctx(now=now, policy=policy, batch=batch, pg=is_postgres(session))
    report = PurgeReport(policy=policy, now=now, dry_run=dry_run, stage=stage)
    if dry_run:
        report.add(_dry_run(session, ctx))
        report.stage, report.finished = len(RULES), True
        return report
    started = time.monotonic()
    while report.stage < len(RULES):
        if (max_batches is not None and report.batches >= max_batches) or (
                max_seconds is not None and time.monotonic() - started >= max_seconds):
            return report
        counts, more = RULES[report.stage](session, ctx)
        report.add(counts)
        if any(counts.values()):
            report.batches += 1
        if not more:
            report.stage += 1
    report.finished = True
    return report


# --- Recorded runs: `flask purge` and the watchdog's daily run -----------------------------------------

def _finish(session: Session, run: RetentionRun, counts: dict[str, int], now: datetime) -> None:
    """Close the run and write its one audit record (also when nothing was deleted: it shows the run)."""
    run.counts, run.finished_at, run.stage, run.lease_until, run.error = dict(counts), now, len(RULES), None, ""
    audit.record(session, "retention.purge", actor_id=None, object_type="retention_run", object_id=run.id,
                 detail={"trigger": run.trigger, "total": sum(counts.values()),
                         "counts": {k: v for k, v in counts.items() if v}, "policy": dict(run.policy)},
                 clock=_Fixed(now))
    session.commit()


@dataclass
class _Fixed:
    at: datetime

    def now(self) -> datetime:
        return self.at


def run_now(session: Session, clock: Clock, policy: Policy, *, trigger: str = "command",
            batch: int = BATCH) -> tuple[RetentionRun, PurgeReport]:
    """Purge everything due now, recorded as a run and in the audit log."""
    now = clock.now()
    run = RetentionRun(trigger=trigger, started_at=now, worker=_worker_name(), policy=policy.as_dict(), counts={})
    session.add(run)
    session.commit()
    try:
        report = purge(session, clock, policy, now=now, batch=batch)
    except Exception as exc:
        session.rollback()
        run.error = str(exc)[:500]
        session.commit()
        raise
    _finish(session, run, report.counts, clock.now())
    return run, report


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


def local_day(now: datetime) -> date:
    return now.astimezone(LOCAL_TZ).date()


def is_due_today(now: datetime) -> bool:
    return now.astimezone(LOCAL_TZ).time() >= RUN_AFTER


@dataclass
class _JobState:
    """What one process remembers between ticks, so a tick that has nothing to do costs no query."""

    worker: str = field(default_factory=lambda: f"{_worker_name()}:{uuid.uuid4().hex[:6]}")
    run_id: int | None = None
    done_day: date | None = None
    quiet_until: datetime | None = None


def _claim(session: Session, now: datetime, day: date, worker: str, policy: Policy) -> int | None:
    """Claim today's scheduled run: insert the day's row (unique) or take over one whose worker went
    quiet. Exactly one caller gets the id, however many watchdogs try at the same moment."""
    values = {"day": day, "trigger": "schedule", "started_at": now, "worker": worker, "stage": 0,
              "lease_until": now + LEASE, "counts": {}, "policy": policy.as_dict(), "error": ""}
    insert = pg_insert if is_postgres(session) else sqlite_insert
    inserted = session.execute(insert(RetentionRun.__table__).values(**values).on_conflict_do_nothing(
        index_elements=["day"]).returning(RetentionRun.__table__.c.id)).scalar_one_or_none()
    if inserted is None:
        taken = _run(session, update(RetentionRun).where(
            RetentionRun.day == day, RetentionRun.finished_at.is_(None),
            or_(RetentionRun.lease_until.is_(None), RetentionRun.lease_until < now),
        ).values(worker=worker, lease_until=now + LEASE))
        if taken != 1:
            session.commit()
            return None
    run_id = session.execute(select(RetentionRun.id).where(RetentionRun.day == day)).scalar_one()
    session.commit()
    return run_id


def _state() -> _JobState:
    from flask import current_app

    return current_app.extensions.setdefault("makker.retention", _JobState())


def daily_job(session: Session, clock: Clock) -> int:
    """The watchdog's periodic job (every tick): nothing to do costs a comparison. From the first tick
    after 03:00 Europe/Copenhagen, one watchdog claims the day and purges a few batches per tick until
    done. Returns the batches done in this tick."""
    from flask import current_app

    state = _state()
    now = clock.now()
    if state.quiet_until is not None and now < state.quiet_until:
        return 0
    day = local_day(now)
    try:
        if state.run_id is None:
            if state.done_day == day or not is_due_today(now):
                return 0
            policy = Policy.from_config(current_app.config)
            state.run_id = _claim(session, now, day, state.worker, policy)
            if state.run_id is None:
                # Done today, or another watchdog is at it: look again when its lease would run out.
                run = session.execute(select(RetentionRun).where(RetentionRun.day == day)).scalar_one_or_none()
                if run is None or run.finished_at is not None:
                    state.done_day = day
                else:
                    state.quiet_until = run.lease_until or now + LEASE
                session.commit()
                return 0
        return _continue(session, clock, state)
    except Exception as exc:
        session.rollback()
        log.exception("retention run failed; trying again in %s", RETRY_AFTER)
        state.quiet_until = now + RETRY_AFTER
        if state.run_id is not None:
            try:
                _run(session, update(RetentionRun).where(RetentionRun.id == state.run_id).values(
                    error=str(exc)[:500]))
                session.commit()
            except Exception:
                session.rollback()
        return 0


def _continue(session: Session, clock: Clock, state: _JobState) -> int:
    now = clock.now()
    # Still ours? (Renewing the lease; a watchdog that was stopped too long has lost the run.)
    if _run(session, update(RetentionRun).where(
            RetentionRun.id == state.run_id, RetentionRun.worker == state.worker,
            RetentionRun.finished_at.is_(None)).values(lease_until=now + LEASE)) != 1:
        session.commit()
        state.run_id = None
        return 0
    session.commit()
    run = session.get(RetentionRun, state.run_id)
    report = purge(session, clock, Policy.from_dict(run.policy), now=run.started_at, stage=run.stage,
                   batch=BATCH, max_batches=TICK_BATCHES, max_seconds=TICK_SECONDS)
    run = session.get(RetentionRun, state.run_id)
    counts = {k: run.counts.get(k, 0) + report.counts.get(k, 0) for k in KINDS}
    if report.finished:
        _finish(session, run, counts, now)
        state.done_day, state.run_id = run.day, None
    else:
        run.counts, run.stage, run.error = counts, report.stage, ""
        session.commit()
    return report.batches


def last_runs(session: Session, limit: int = 14) -> list[RetentionRun]:
    return list(session.execute(
        select(RetentionRun).order_by(RetentionRun.started_at.desc(), RetentionRun.id.desc()).limit(limit)
    ).scalars())
