"""The outbox. `enqueue` runs inside the caller's transaction (with the state change that causes the
message); `dispatch_due` claims due entries with a short lease, sends them outside any transaction,
then records every attempt. A crash after sending re-sends with the same notification id and tag."""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from app.clock import Clock
from app.database import is_postgres
from app.models import DeliveryAttempt, Notification, OutboxEntry, User
from app.notify.channels import OutgoingMessage, SendResult, enabled_channels, get_channel

log = logging.getLogger(__name__)

# A claim is short and kept fresh while its round sends (renew_leases): a watchdog that dies mid-send
# hands its messages to the others after at most LEASE, and a slow channel never lets another
# watchdog take (and send again) what is still being sent.
LEASE = timedelta(seconds=15)
RENEW_EVERY_S = 5.0
MAX_ATTEMPTS = 8
SEND_WORKERS = 16


def backoff(attempt: int) -> float:
    """Seconds before retry `attempt` (1-based): 2, 4, 8 ... capped at 5 minutes."""
    return min(2.0**attempt, 300.0)


def enqueue(
    session: Session,
    clock: Clock,
    recipient: User,
    *,
    type: str,
    step_key: str,
    payload: dict,
    tag: str,
    due_at: datetime | None = None,
    alert_id: str | None = None,
    visit_id: str | None = None,
    urgent: bool = False,
) -> Notification | None:
    """Add a notification and its outbox entries; None if this step already notified this person."""
    # No autoflush here: the pending rows of this transaction are flushed once, in a batch, at commit.
    with session.no_autoflush:
        existing = session.execute(
            select(Notification.id).where(Notification.recipient_id == recipient.id,
                                          Notification.step_key == step_key)
        ).first()
    if existing or any(isinstance(o, Notification) and o.recipient_id == recipient.id and o.step_key == step_key
                       for o in session.new):
        return None
    now = clock.now()
    notification = Notification(
        id=str(uuid.uuid4()),
        recipient_id=recipient.id,
        type=type,
        step_key=step_key,
        tag=tag,
        payload={**payload, "type": type, "tag": tag},
        alert_id=alert_id,
        visit_id=visit_id,
        urgent=urgent,
        created_at=now,
        due_at=due_at or now,
    )
    notification.payload["notification_id"] = notification.id
    session.add(notification)
    for channel in enabled_channels():
        if channel.wants(session, recipient, notification):
            delay = channel.first_attempt_delay(session, recipient, notification)
            session.add(OutboxEntry(notification=notification, channel=channel.name,
                                    next_attempt_at=now + timedelta(seconds=delay) if delay else now))
    return notification


def merge_channel_counts(into: dict[str, dict[str, int]], counts: dict[str, dict[str, int]]) -> None:
    """Add {"push": {"sent": n, ...}, ...} counts into another such mapping, in place."""
    for channel, outcomes in counts.items():
        mine = into.setdefault(channel, {})
        for outcome, n in outcomes.items():
            mine[outcome] = mine.get(outcome, 0) + n


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    skipped: int = 0  # also counted in `sent` (done, nothing more to do)
    # For /metrics: {"push": {"sent": n, "failed": n, "retried": n, "skipped": n}} (here `sent` excludes
    # skipped), and the due->sent seconds of each notification first delivered in this round.
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)

    def count(self, channel: str, outcome: str) -> None:
        counts = self.by_channel.setdefault(channel, {})
        counts[outcome] = counts.get(outcome, 0) + 1


def _first_delivery_latencies(session: Session, delivered: dict[str, datetime], round_ids: list[int]) -> list[float]:
    """due->sent seconds of each notification whose first successful delivery is in this round (one
    query: a notification already delivered through another channel in an earlier round is left out)."""
    earlier = exists().where(OutboxEntry.notification_id == Notification.id, OutboxEntry.state == "sent",
                             OutboxEntry.id.not_in(round_ids))
    with session.no_autoflush:
        rows = session.execute(
            select(Notification.id, Notification.due_at).where(Notification.id.in_(list(delivered)), ~earlier)
        ).all()
    return [max(0.0, (delivered[nid] - due_at).total_seconds()) for nid, due_at in rows]


def _claim(session: Session, clock: Clock, limit: int) -> tuple[list[OutgoingMessage], dict[int, str]]:
    now = clock.now()
    query = (
        select(OutboxEntry)
        .where(
            OutboxEntry.state == "pending",
            OutboxEntry.next_attempt_at <= now,
            or_(OutboxEntry.lease_until.is_(None), OutboxEntry.lease_until < now),
        )
        .order_by(OutboxEntry.next_attempt_at)
        .limit(limit)
        .options(selectinload(OutboxEntry.notification).selectinload(Notification.recipient))
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True, of=OutboxEntry)
    entries = list(session.execute(query).scalars())
    messages = []
    channels = {entry.id: entry.channel for entry in entries}
    for entry in entries:
        entry.lease_until = now + LEASE
        entry.attempts += 1
        n = entry.notification
        r = n.recipient
        messages.append(
            OutgoingMessage(
                outbox_id=entry.id, notification_id=n.id, recipient_id=r.id, recipient_name=r.name,
                phone=r.phone, email=r.email, locale=r.locale, type=n.type, tag=n.tag, urgent=n.urgent,
                payload=dict(n.payload), alert_id=n.alert_id, attempt=entry.attempts,
            )
        )
    session.commit()
    return messages, channels


def _send(channel_name: str, message: OutgoingMessage, app) -> tuple[list[SendResult], datetime]:
    results = _send_one(channel_name, message, app)
    return results, app.extensions["makker.clock"].now()  # when it left: for due->sent latency


def _send_inline(channel_name: str, message: OutgoingMessage) -> list[SendResult]:
    channel = get_channel(channel_name)
    try:
        return channel.send(message) or [SendResult(ok=False, detail="no result")]
    except Exception as exc:
        log.exception("channel %s failed", channel_name)
        return [SendResult(ok=False, detail=f"{type(exc).__name__}: {exc}", retry_after=backoff(message.attempt))]


def _send_one(channel_name: str, message: OutgoingMessage, app) -> list[SendResult]:
    with app.app_context():
        channel = get_channel(channel_name)
        if channel is None:
            return [SendResult(ok=False, detail=f"channel {channel_name} is not enabled")]
        try:
            return channel.send(message) or [SendResult(ok=False, detail="no result")]
        except Exception as exc:  # a channel must never take the watchdog down
            log.exception("channel %s failed", channel_name)
            return [SendResult(ok=False, detail=f"{type(exc).__name__}: {exc}", retry_after=backoff(message.attempt))]


def renew_leases(clock: Clock, outbox_ids: list[int]) -> None:
    """Extend the leases of a round still sending, on a connection of its own (the round's session
    holds no transaction while it talks to the network)."""
    from app.extensions import db

    try:
        with db.engine.begin() as conn:
            conn.execute(update(OutboxEntry).where(OutboxEntry.id.in_(outbox_ids), OutboxEntry.state == "pending")
                         .values(lease_until=clock.now() + LEASE))
    except Exception:  # the database is away: the lease may lapse; the round still records what it sent
        log.warning("could not renew outbox leases", exc_info=True)


def dispatch_due(session: Session, clock: Clock, *, limit: int = 500) -> DispatchReport:
    """Send what is due now. Returns counts; safe to run in several processes at once."""
    from flask import current_app

    report = DispatchReport()
    # The claim is committed before anything is sent: no transaction stays open during network I/O.
    messages, channels = _claim(session, clock, limit)
    if not messages:
        return report
    app = current_app._get_current_object()
    # Urgent messages on the fast channels first: a slow channel (SMTP, SMS gateway) must not hold
    # up the push that reaches a responder's phone.
    slow = {"email", "sms"}
    messages.sort(key=lambda m: (channels[m.outbox_id] in slow, not m.urgent))
    # Each channel looks up what it needs for the whole round at once (then sends without queries).
    for name in set(channels.values()):
        channel = get_channel(name)
        if channel is None:
            continue
        own = [m for m in messages if channels[m.outbox_id] == name]
        prepared = channel.prepare(session, own)
        if prepared:
            messages = [replace(m, prepared=prepared.get(m.outbox_id)) if channels[m.outbox_id] == name else m
                        for m in messages]
    session.rollback()
    inline = {name for name in set(channels.values())
              if (channel := get_channel(name)) is not None and not channel.blocking_io}
    results: dict[int, tuple[list[SendResult], datetime]] = {}
    threaded = [m for m in messages if channels[m.outbox_id] not in inline]
    if threaded:
        with ThreadPoolExecutor(max_workers=min(SEND_WORKERS, len(threaded))) as pool:
            futures = {m.outbox_id: pool.submit(_send, channels[m.outbox_id], m, app) for m in threaded}
            # Local channels run here meanwhile (no thread, no extra app context or connection).
            for m in messages:
                if channels[m.outbox_id] in inline:
                    results[m.outbox_id] = (_send_inline(channels[m.outbox_id], m), clock.now())
            # While the round is still sending, keep its claim: no other watchdog may send it again.
            running = set(futures.values())
            while running:
                _, running = wait(running, timeout=RENEW_EVERY_S)
                if running:
                    renew_leases(clock, [m.outbox_id for m in messages])
            for outbox_id, future in futures.items():
                results[outbox_id] = future.result()
    else:
        for m in messages:
            results[m.outbox_id] = (_send_inline(channels[m.outbox_id], m), clock.now())
    _record(session, clock, messages, results, report)
    return report


def _record(session: Session, clock: Clock, messages, results, report: DispatchReport) -> None:
    session.rollback()  # a local channel may have read through this session
    now = clock.now()
    # One query for all entries; attempts added in one go (no flush per message).
    entries = {e.id: e for e in session.execute(
        select(OutboxEntry).where(OutboxEntry.id.in_([m.outbox_id for m in messages]))
    ).scalars()}
    new_attempts = []
    delivered: dict[str, datetime] = {}  # notification id -> its earliest successful send in this round
    for message in messages:
        attempts, sent_at = results[message.outbox_id]
        entry = entries[message.outbox_id]
        if attempts and all(r.skipped for r in attempts):
            entry.lease_until = None
            entry.state, entry.sent_at = "skipped", now
            entry.last_error = "; ".join(r.detail for r in attempts)[:1000]
            report.sent += 1
            report.skipped += 1
            report.count(entry.channel, "skipped")
            continue
        for result in attempts:
            new_attempts.extend(result.rows)
            if result.skipped:
                continue
            new_attempts.append(DeliveryAttempt(
                outbox_id=entry.id, notification_id=message.notification_id, alert_id=message.alert_id,
                recipient_id=message.recipient_id, channel=entry.channel, at=sent_at, ok=result.ok,
                status=result.status, detail=result.detail[:500],
            ))
        entry.lease_until = None
        if any(r.ok for r in attempts):
            entry.state, entry.sent_at = "sent", sent_at
            report.sent += 1
            report.count(entry.channel, "sent")
            first = delivered.get(message.notification_id)
            delivered[message.notification_id] = sent_at if first is None else min(first, sent_at)
            continue
        retry = [r.retry_after for r in attempts if r.retry_after is not None]
        entry.last_error = "; ".join(r.detail for r in attempts)[:1000]
        if retry and entry.attempts < MAX_ATTEMPTS:
            entry.next_attempt_at = now + timedelta(seconds=max(retry))
            report.retried += 1
            report.count(entry.channel, "retried")
        else:
            entry.state = "failed"
            report.failed += 1
            report.count(entry.channel, "failed")
    if delivered:
        report.latencies = _first_delivery_latencies(session, delivered, list(entries))
    session.add_all(new_attempts)
    session.commit()


def next_attempt_at(session: Session) -> datetime | None:
    """When the outbox next has something to do (a pending entry or an expiring lease)."""
    pending = session.execute(
        select(func.min(OutboxEntry.next_attempt_at)).where(
            OutboxEntry.state == "pending", OutboxEntry.lease_until.is_(None)
        )
    ).scalar()
    lease = session.execute(
        select(func.min(OutboxEntry.lease_until)).where(
            OutboxEntry.state == "pending", OutboxEntry.lease_until.is_not(None)
        )
    ).scalar()
    times = [t for t in (pending, lease) if t is not None]
    return min(times) if times else None
