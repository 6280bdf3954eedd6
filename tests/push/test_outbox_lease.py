"""The outbox lease: short, and kept fresh while a round sends, so a slow channel never lets a second
watchdog send the same message again, while a dead watchdog's claims pass on after LEASE."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, select

from app.models import OutboxEntry
from app.notify import channels, outbox
from app.notify.channels.base import Channel, SendResult
from tests.push.helpers import dispatch, entries, notify, people


class SlowChannel(Channel):
    """Blocks in send() until the test releases it: a push service that takes its time."""

    name = "slow"
    release = threading.Event()
    sending = threading.Event()

    def wants(self, session, recipient, notification) -> bool:
        return True

    def send(self, message) -> list[SendResult]:
        SlowChannel.sending.set()
        SlowChannel.release.wait(10)
        return [SendResult(ok=True, detail="slow but sent")]


@pytest.fixture
def push_config():
    # Registered only for these tests: an app without NOTIFY_CHANNELS enables every registered channel.
    channels.register(SlowChannel)
    yield {"NOTIFY_CHANNELS": ("slow",)}
    channels._REGISTRY.pop(SlowChannel.name, None)


def _lease_of(url: str, entry_id: int):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(OutboxEntry.lease_until).where(OutboxEntry.id == entry_id)).scalar()
    finally:
        engine.dispose()


def test_leases_are_renewed_while_a_slow_round_sends(app, ctx, clock, monkeypatch):
    monkeypatch.setattr(outbox, "RENEW_EVERY_S", 0.01)  # the sending round renews every 10 ms
    SlowChannel.release.clear()
    SlowChannel.sending.clear()
    p = people(ctx)
    notify(ctx, clock, p["bo"], type="alert", urgent=True)
    [entry] = entries(ctx, "slow")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    result = {}
    round_ = threading.Thread(target=lambda: result.setdefault("report", _dispatch_in_app(app, clock)))
    round_.start()
    try:
        assert SlowChannel.sending.wait(10)
        first = _lease_of(url, entry.id)
        clock.advance(seconds=outbox.LEASE.total_seconds() * 2)  # the round takes longer than a lease
        renewed = None
        for _ in range(500):  # no fixed sleep: wait for the effect
            renewed = _lease_of(url, entry.id)
            if renewed is not None and renewed > first:
                break
            SlowChannel.release.wait(0.01)
        assert renewed > first and renewed > clock.now()
        # Meanwhile a second watchdog finds nothing to take.
        assert dispatch(ctx, clock).sent == 0
    finally:
        SlowChannel.release.set()
        round_.join(10)
    assert result["report"].sent == 1
    [done] = entries(ctx, "slow")
    assert done.state == "sent" and done.lease_until is None and done.attempts == 1


def _dispatch_in_app(app, clock):
    from app.extensions import db

    with app.app_context():
        try:
            return outbox.dispatch_due(db.session, clock)
        finally:
            db.session.remove()


def test_a_dead_watchdogs_claim_passes_on_after_one_short_lease(ctx, clock):
    assert outbox.LEASE.total_seconds() <= 15
    p = people(ctx)
    notify(ctx, clock, p["bo"], type="alert", urgent=True)
    outbox._claim(ctx, clock, 100)  # claimed, then the process died: nobody renews
    clock.advance(seconds=outbox.LEASE.total_seconds() - 1)
    assert dispatch(ctx, clock).sent == 0
    clock.advance(seconds=2)
    SlowChannel.release.set()
    assert dispatch(ctx, clock).sent == 1
