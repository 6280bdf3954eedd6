"""PushChannel against the fake push service: VAPID, encryption, headers, payloads and every answer."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from email.utils import format_datetime

import pytest
from sqlalchemy import select

from app.models import PushSubscription
from app.notify import outbox
from app.notify.channels import get_channel
from app.notify.channels.push import build_payload, retry_after_seconds
from app.push import services
from tests.push.helpers import add_sub, attempts, dispatch, entries, notify, people, raise_alert


def _claimed(result):
    """The claimed messages (`_claim` returns them, or (messages, channels))."""
    return result[0] if isinstance(result, tuple) else result


@pytest.fixture
def push_config():
    return {"NOTIFY_CHANNELS": ("push",)}


def test_delivered_with_vapid_and_aes128gcm(ctx, clock, fake_push):
    p = people(ctx)
    fsub = fake_push.new_subscription()
    add_sub(ctx, clock, p["bo"], fsub)
    n = notify(ctx, clock, p["bo"], payload={"title": "Hej", "body": "Æ ø å", "url": "/x"})
    report = dispatch(ctx, clock)
    assert report.sent == 1
    [got] = fake_push.for_sub(fsub)
    assert got.status == 201, got.error
    # The fake checked signature and decrypted; the claims are what a push service expects.
    assert got.claims["aud"] == fake_push.url
    assert got.claims["sub"] == "mailto:drift@makker.example"
    assert time.time() < got.claims["exp"] <= time.time() + 12 * 3600 + 5
    assert got.payload["title"] == "Hej" and got.payload["body"] == "Æ ø å" and got.payload["url"] == "/x"
    assert got.payload["type"] == "test" and got.payload["tag"] == n.tag
    assert got.payload["notification_id"] == n.id
    [attempt] = attempts(ctx, "push")
    assert attempt.ok and attempt.status == 201
    assert attempt.detail == "push leveret til Chrome, Android"
    assert entries(ctx, "push")[0].state == "sent"
    assert ctx.get(PushSubscription, ctx.execute(select(PushSubscription.id)).scalar()).last_success_at == clock.now()


def test_alert_payload_ttl_and_urgency(ctx, clock, fake_push):
    p = people(ctx)
    fsub = fake_push.new_subscription()
    add_sub(ctx, clock, p["bo"], fsub)
    alert = raise_alert(ctx, clock, p["anna"], p["bo"], reason="sos")
    dispatch(ctx, clock)
    [got] = fake_push.for_sub(fsub)
    assert got.urgency == "high" and got.ttl >= 3600
    data = got.payload
    assert data["type"] == "alert" and data["tag"] == f"alert-{alert.id}"
    assert data["alert_id"] == alert.id and data["visit_id"] == alert.visit_id
    assert data["reason"] == "sos" and data["level"] == 2
    assert data["url"] == f"/alerts/{alert.id}"
    assert "Anna Jensen" in data["title"] and data["body"]
    assert data["actions"] == ["ack", "call"]
    assert data["action_titles"] == {"ack": "Jeg tager den", "call": "Ring"}


def test_information_is_sent_with_lower_urgency(ctx, clock, fake_push):
    p = people(ctx)
    fsub = fake_push.new_subscription()
    add_sub(ctx, clock, p["bo"], fsub)
    notify(ctx, clock, p["bo"], type="ack")
    notify(ctx, clock, p["bo"], type="test")
    notify(ctx, clock, p["bo"], type="interrupt", urgent=True)
    dispatch(ctx, clock)
    by_type = {r.payload["type"]: r for r in fake_push.for_sub(fsub)}
    assert (by_type["ack"].urgency, by_type["ack"].ttl) == ("normal", 3600)
    assert (by_type["test"].urgency, by_type["test"].ttl) == ("normal", 600)
    assert by_type["interrupt"].urgency == "high" and by_type["interrupt"].ttl >= 3600


def test_reminder_carries_checkout_and_extend_actions(ctx, clock, fake_push):
    p = people(ctx)
    fsub = fake_push.new_subscription()
    add_sub(ctx, clock, p["anna"], fsub)
    notify(ctx, clock, p["anna"], type="reminder",
           payload={"title": "Slut 10:00", "body": "Tjek ud", "url": "/visits/v1", "visit_id": "v1",
                    "actions": ["checkout", "extend15"]})
    dispatch(ctx, clock)
    [got] = fake_push.for_sub(fsub)
    assert got.payload["visit_id"] == "v1"
    assert got.payload["action_titles"]["checkout"] == "Tjek ud"
    assert got.payload["action_titles"]["extend15"] == "+15 min"
    assert got.urgency == "high"


@pytest.mark.parametrize("status", [404, 410])
def test_gone_subscription_is_deleted(ctx, clock, fake_push, status):
    p = people(ctx)
    dead, alive = fake_push.new_subscription(), fake_push.new_subscription()
    add_sub(ctx, clock, p["bo"], dead)
    add_sub(ctx, clock, p["bo"], alive)
    fake_push.answer(dead, status)
    notify(ctx, clock, p["bo"])
    dispatch(ctx, clock)
    remaining = [s.endpoint for s in services.subscriptions_of(ctx, p["bo"].id)]
    assert remaining == [alive.endpoint]
    results = {a.status: a for a in attempts(ctx, "push")}
    assert not results[status].ok
    assert "fjernet" in results[status].detail
    assert results[201].ok


def test_only_gone_subscription_fails_without_retry(ctx, clock, fake_push):
    p = people(ctx)
    dead = fake_push.new_subscription()
    add_sub(ctx, clock, p["bo"], dead)
    fake_push.answer(dead, 410)
    notify(ctx, clock, p["bo"])
    report = dispatch(ctx, clock)
    assert (report.sent, report.failed, report.retried) == (0, 1, 0)
    assert entries(ctx, "push")[0].state == "failed"
    assert services.subscriptions_of(ctx, p["bo"].id) == []


def test_429_is_retried_after_retry_after_seconds(ctx, clock, fake_push):
    p = people(ctx)
    fsub = fake_push.new_subscription()
    add_sub(ctx, clock, p["bo"], fsub)
    fake_push.answer(fsub, 429, {"Retry-After": "30"})
    n = notify(ctx, clock, p["bo"], type="alert", urgent=True)
    report = dispatch(ctx, clock)
    assert report.retried == 1
    [entry] = entries(ctx, "push")
    assert entry.state == "pending" and entry.next_attempt_at == clock.now() + timedelta(seconds=30)
    clock.advance(seconds=29)
    assert dispatch(ctx, clock).sent == 0
    clock.advance(seconds=1)
    assert dispatch(ctx, clock).sent == 1
    statuses = [r.status for r in fake_push.for_sub(fsub)]
    assert statuses == [429, 201]
    # The re-send carries the same tag (the phone shows it once).
    assert {r.payload["tag"] for r in fake_push.for_sub(fsub)} == {n.tag}
    assert [a.ok for a in attempts(ctx, "push")] == [False, True]


def test_429_with_an_http_date(ctx, clock, fake_push):
    p = people(ctx)
    fsub = fake_push.new_subscription()
    add_sub(ctx, clock, p["bo"], fsub)
    fake_push.answer(fsub, 429, {"Retry-After": format_datetime(clock.now() + timedelta(seconds=90), usegmt=True)})
    notify(ctx, clock, p["bo"])
    dispatch(ctx, clock)
    assert entries(ctx, "push")[0].next_attempt_at == clock.now() + timedelta(seconds=90)


def test_500_is_retried_with_backoff(ctx, clock, fake_push):
    p = people(ctx)
    fsub = fake_push.new_subscription()
    add_sub(ctx, clock, p["bo"], fsub)
    fake_push.answer(fsub, 500, times=2)
    notify(ctx, clock, p["bo"])
    dispatch(ctx, clock)
    [entry] = entries(ctx, "push")
    assert entry.next_attempt_at == clock.now() + timedelta(seconds=outbox.backoff(1))  # 2 s
    clock.advance(seconds=outbox.backoff(1))
    dispatch(ctx, clock)
    [entry] = entries(ctx, "push")
    assert entry.state == "pending" and entry.next_attempt_at == clock.now() + timedelta(seconds=outbox.backoff(2))
    clock.advance(seconds=outbox.backoff(2))
    dispatch(ctx, clock)
    assert entries(ctx, "push")[0].state == "sent"
    assert [r.status for r in fake_push.for_sub(fsub)] == [500, 500, 201]
    assert services.subscriptions_of(ctx, p["bo"].id)[0].last_failure_at is not None


def test_other_4xx_fails_at_once_and_is_recorded(ctx, clock, fake_push):
    # A 4xx Response is falsy: the channel must still see its status.
    p = people(ctx)
    fsub = fake_push.new_subscription()
    add_sub(ctx, clock, p["bo"], fsub)
    fake_push.answer(fsub, 403)
    notify(ctx, clock, p["bo"])
    report = dispatch(ctx, clock)
    assert report.failed == 1
    [attempt] = attempts(ctx, "push")
    assert attempt.status == 403 and not attempt.ok
    assert services.subscriptions_of(ctx, p["bo"].id)  # kept: not a dead subscription


def test_unreachable_push_service_is_retried(ctx, clock, fake_push):
    p = people(ctx)
    fsub = fake_push.new_subscription()
    add_sub(ctx, clock, p["bo"], fsub)
    fake_push.stop()  # connection refused
    notify(ctx, clock, p["bo"])
    report = dispatch(ctx, clock)
    assert report.retried == 1
    assert entries(ctx, "push")[0].next_attempt_at == clock.now() + timedelta(seconds=2)


def test_allow_list_is_checked_again_at_send_time(app, ctx, clock, fake_push):
    p = people(ctx)
    fsub = fake_push.new_subscription()
    add_sub(ctx, clock, p["bo"], fsub)
    app.config["PUSH_ALLOWED_HOSTS"] = ("fcm.googleapis.com",)  # the operator narrowed the list
    notify(ctx, clock, p["bo"])
    report = dispatch(ctx, clock)
    assert report.failed == 1
    assert fake_push.received == []  # nothing left the server
    [attempt] = attempts(ctx, "push")
    assert not attempt.ok and "tilladte" in attempt.detail


def test_fan_out_to_50_subscriptions_in_one_send(ctx, clock, fake_push):
    p = people(ctx)
    subs = [fake_push.new_subscription() for _ in range(50)]
    # (The API keeps 20 per user; the channel sends to however many there are.)
    for s in subs:
        ctx.add(PushSubscription(user_id=p["lene"].id, endpoint=s.endpoint, p256dh=s.p256dh, auth=s.auth,
                                 user_agent="", created_at=clock.now(), last_failure=""))
    ctx.commit()
    assert len(services.subscriptions_of(ctx, p["lene"].id)) == 50
    n = notify(ctx, clock, p["lene"], type="alert", urgent=True)
    dispatch(ctx, clock)
    delivered = fake_push.delivered()
    assert len(delivered) == 50 and {r.path for r in delivered} == {s.path for s in subs}
    assert all(r.payload["notification_id"] == n.id for r in delivered)
    assert len(attempts(ctx, "push")) == 50 and all(a.ok for a in attempts(ctx, "push"))
    # One shared requests.Session: the connection is reused, not one per push.
    assert len({r.connection for r in delivered}) < 5


def test_same_tag_when_resent_after_a_crash(ctx, clock, fake_push):
    """Claim, send, then crash before recording: the lease expires and the push goes again, same tag."""
    p = people(ctx)
    fsub = fake_push.new_subscription()
    add_sub(ctx, clock, p["bo"], fsub)
    alert = raise_alert(ctx, clock, p["anna"], p["bo"])
    messages = _claimed(outbox._claim(ctx, clock, 100))
    [message] = [m for m in messages if m.recipient_id == p["bo"].id]
    get_channel("push").send(message)  # sent ... and the process dies here
    clock.advance(seconds=outbox.LEASE.total_seconds() / 2)
    assert dispatch(ctx, clock).sent == 0  # still leased
    clock.advance(seconds=outbox.LEASE.total_seconds())
    assert dispatch(ctx, clock).sent >= 1
    got = fake_push.for_sub(fsub)
    assert [r.status for r in got] == [201, 201]
    assert got[0].payload["tag"] == got[1].payload["tag"] == f"alert-{alert.id}"
    assert got[0].payload["notification_id"] == got[1].payload["notification_id"]


def test_claimed_but_never_sent_is_sent_after_the_lease(ctx, clock, fake_push):
    p = people(ctx)
    fsub = fake_push.new_subscription()
    add_sub(ctx, clock, p["bo"], fsub)
    n = notify(ctx, clock, p["bo"], type="alert", urgent=True, tag="alert-crash")
    outbox._claim(ctx, clock, 100)  # crash before sending
    clock.advance(seconds=outbox.LEASE.total_seconds() + 1)
    dispatch(ctx, clock)
    [got] = fake_push.for_sub(fsub)
    assert got.payload["tag"] == "alert-crash" and got.payload["notification_id"] == n.id


def test_duress_alarm_is_never_pushed_to_the_worker(ctx, clock, fake_push):
    p = people(ctx)
    worker_sub, buddy_sub = fake_push.new_subscription(), fake_push.new_subscription()
    add_sub(ctx, clock, p["anna"], worker_sub)
    add_sub(ctx, clock, p["bo"], buddy_sub)
    alert = raise_alert(ctx, clock, p["anna"], p["bo"], reason="duress")
    # Even if some code enqueued it for the worker, the channel refuses.
    notify(ctx, clock, p["anna"], type="alert", alert_id=alert.id, urgent=True,
           payload={"title": "x", "body": "y", "url": "/"})
    dispatch(ctx, clock)
    assert fake_push.for_sub(worker_sub) == []
    assert [r.payload["reason"] for r in fake_push.for_sub(buddy_sub)] == ["duress"]


def test_no_push_entry_without_subscription_or_when_switched_off(ctx, clock, fake_push):
    p = people(ctx)
    notify(ctx, clock, p["bo"])
    assert entries(ctx, "push") == []
    add_sub(ctx, clock, p["bo"], fake_push.new_subscription())
    services.set_prefs(ctx, clock, p["bo"], push=False, sms=True, email=True)
    ctx.commit()
    notify(ctx, clock, p["bo"])
    assert entries(ctx, "push") == []


def test_retry_after_parsing(clock):
    now = clock.now()
    assert retry_after_seconds("120", now, 2) == 120
    assert retry_after_seconds(None, now, 8) == 8
    assert retry_after_seconds("soon", now, 8) == 8
    assert retry_after_seconds("0", now, 8) == 1
    assert retry_after_seconds("999999", now, 8) == 3600
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=45), usegmt=True), now, 8) == 45


def test_big_payload_is_shortened(app):
    from app.notify.channels.base import OutgoingMessage

    message = OutgoingMessage(
        outbox_id=1, notification_id="n", recipient_id=1, recipient_name="x", phone="", email="", locale="da",
        type="alert", tag="t", urgent=True, payload={"title": "t", "body": "x" * 10000, "url": "/"},
    )
    with app.app_context():
        data = build_payload(message)
    assert len(data.encode()) <= 3000 and json.loads(data)["body"].endswith("…")


def test_a_dispatch_round_looks_subscriptions_up_once_not_per_message(ctx, clock, fake_push):
    """40 pushes to 20 people cost a constant number of queries in the round, not one or two each."""
    from sqlalchemy import event

    p = people(ctx)
    from app.admin.services import create_user

    users = [create_user(ctx, clock, username=f"resp{i}", name=f"Responder {i}", password="x",
                         unit=p["anna"].unit) for i in range(20)]
    ctx.commit()
    for user in users:
        add_sub(ctx, clock, user, fake_push.new_subscription())
    for user in users:
        for _ in range(2):
            notify(ctx, clock, user, type="alert", urgent=True)
    ctx.commit()
    dispatch(ctx, clock)  # first round stamps every subscription's first success
    for user in users:
        notify(ctx, clock, user, type="alert", urgent=True)
    ctx.commit()

    statements = []
    engine = ctx.get_bind()

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        report = dispatch(ctx, clock)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert report.sent == 20
    assert len(fake_push.delivered()) == 60
    subscription_selects = [s for s in statements if "FROM push_subscriptions" in s]
    assert len(subscription_selects) == 1, subscription_selects
