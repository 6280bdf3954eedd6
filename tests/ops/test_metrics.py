"""/metrics: Prometheus text built from the database; the histogram matches what a real tick sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import Notification, OutboxEntry
from app.notify import channels as channel_registry
from app.notify.channels import Channel, SendResult
from app.ops import services
from app.ops.metrics import exposition
from app.watchdog import engine, runner
from tests.ops.conftest import add_beat, start_visit


@pytest.fixture
def app_config(app_config):
    # Only the log channel: every notification is sent at once, in the tick that fires its step.
    return {**app_config, "NOTIFY_CHANNELS": ["log"]}


def families(body: str) -> dict:
    return {f.name: f for f in text_string_to_metric_families(body)}


def samples(family, name=None, **labels) -> list:
    return [s for s in family.samples if (name is None or s.name == name)
            and all(s.labels.get(k) == v for k, v in labels.items())]


def value(family, name=None, **labels) -> float:
    found = samples(family, name, **labels)
    assert len(found) == 1, (name, labels, family.samples)
    return found[0].value


def test_collector_exposes_gauges_counters_and_histogram_per_watchdog(ctx, clock):
    start_visit(ctx, clock, minutes=10)  # reminder due at +5 min
    clock.advance(minutes=5, seconds=20)
    add_beat(ctx, clock, "host-a:11:1", ago=4, started_ago=600, steps_done=7, sent=9, failed=1, retried=2,
             latency_count=3, latency_sum=4.5, latency_buckets={"0.25": 1, "1.0": 1, "5.0": 1},
             channels={"push": {"sent": 5, "retried": 2}, "sms": {"sent": 2, "failed": 1, "skipped": 2}})
    add_beat(ctx, clock, "host-b:12:1", ago=61)
    got = families(exposition(services.liveness(ctx, clock, 60)).decode())

    assert value(got["makker_watchdog_steps_due"], kind="visit") == 1
    assert value(got["makker_watchdog_steps_due"], kind="alert") == 0
    assert value(got["makker_watchdog_oldest_due_age_seconds"]) == 20
    assert value(got["makker_watchdogs_alive"]) == 1  # host-b ticked 61 s ago
    last = got["makker_watchdog_last_tick_timestamp_seconds"]
    assert value(last, watchdog="host-a:11:1") == (clock.now() - timedelta(seconds=4)).timestamp()
    assert got["makker_watchdog_steps"].type == "counter"
    assert value(got["makker_watchdog_steps"], "makker_watchdog_steps_total", watchdog="host-a:11:1") == 7
    sent = got["makker_outbox_sent"]
    assert value(sent, "makker_outbox_sent_total", watchdog="host-a:11:1", channel="push") == 5
    assert value(sent, "makker_outbox_sent_total", watchdog="host-a:11:1", channel="sms") == 2
    assert value(got["makker_outbox_failed"], "makker_outbox_failed_total", channel="sms") == 1
    assert value(got["makker_outbox_failed"], "makker_outbox_failed_total", channel="push") == 0
    assert value(got["makker_outbox_retried"], "makker_outbox_retried_total", channel="push") == 2
    assert value(got["makker_outbox_skipped"], "makker_outbox_skipped_total", channel="sms") == 2

    hist = got["makker_watchdog_due_to_sent_seconds"]
    assert hist.type == "histogram"
    a = {"watchdog": "host-a:11:1"}
    assert value(hist, "makker_watchdog_due_to_sent_seconds_bucket", le="0.1", **a) == 0
    assert value(hist, "makker_watchdog_due_to_sent_seconds_bucket", le="0.25", **a) == 1
    assert value(hist, "makker_watchdog_due_to_sent_seconds_bucket", le="2.5", **a) == 2
    assert value(hist, "makker_watchdog_due_to_sent_seconds_bucket", le="+Inf", **a) == 3
    assert value(hist, "makker_watchdog_due_to_sent_seconds_count", **a) == 3
    assert value(hist, "makker_watchdog_due_to_sent_seconds_sum", **a) == 4.5
    assert value(hist, "makker_watchdog_due_to_sent_seconds_count", watchdog="host-b:12:1") == 0


def test_histogram_matches_a_real_tick_through_the_log_channel(app, client, clock):
    with app.app_context():
        session = _db.session
        started = clock.now()
        start_visit(session, clock, minutes=60)  # reminder due at +55 min, overdue alert at +65 min
        clock.advance(minutes=55, seconds=3)
        first = engine.tick(session, clock)
        runner._beat(session, clock, "wd-real", started, first)
        clock.advance(minutes=9, seconds=57, milliseconds=400)  # 0.4 s after the overdue time
        second = engine.tick(session, clock)
        runner._beat(session, clock, "wd-real", started, second)
        assert first.latencies == [3.0] and first.by_channel == {"log": {"sent": 1}}
        assert second.latencies and all(abs(x - 0.4) < 1e-6 for x in second.latencies)
        sent_entries = session.execute(
            select(func.count()).select_from(OutboxEntry).where(OutboxEntry.state == "sent")).scalar()
        notifications = session.execute(select(func.count()).select_from(Notification)).scalar()
    total = 1 + len(second.latencies)
    assert sent_entries == notifications == total  # one log entry per notification, each sent once

    got = families(client.get("/metrics").get_data(as_text=True))
    hist, me = got["makker_watchdog_due_to_sent_seconds"], {"watchdog": "wd-real"}
    assert value(hist, "makker_watchdog_due_to_sent_seconds_count", **me) == total
    assert value(hist, "makker_watchdog_due_to_sent_seconds_sum", **me) == pytest.approx(3.0 + 0.4 * (total - 1))
    assert value(hist, "makker_watchdog_due_to_sent_seconds_bucket", le="0.25", **me) == 0
    assert value(hist, "makker_watchdog_due_to_sent_seconds_bucket", le="0.5", **me) == total - 1
    assert value(hist, "makker_watchdog_due_to_sent_seconds_bucket", le="2.5", **me) == total - 1
    assert value(hist, "makker_watchdog_due_to_sent_seconds_bucket", le="5.0", **me) == total
    assert value(got["makker_outbox_sent"], "makker_outbox_sent_total", channel="log", **me) == total
    assert value(got["makker_watchdog_steps"], "makker_watchdog_steps_total", **me) == first.steps + second.steps
    assert value(got["makker_watchdog_steps_due"], kind="visit") == 0
    assert value(got["makker_watchdogs_alive"]) == 1


class FlakyChannel(Channel):
    """Fails the first attempt of every message (retry in 5 s), then delivers."""

    name = "flaky"
    blocking_io = False
    seen: set = set()

    def wants(self, session, recipient, notification) -> bool:
        return True

    def send(self, message):
        if message.notification_id not in self.seen:
            self.seen.add(message.notification_id)
            return [SendResult(ok=False, detail="503", status=503, retry_after=5)]
        return [SendResult(ok=True, detail="ok")]


@pytest.fixture
def flaky(app, monkeypatch):
    monkeypatch.setitem(channel_registry._REGISTRY, "flaky", FlakyChannel)
    monkeypatch.setattr(FlakyChannel, "seen", set())
    app.config["NOTIFY_CHANNELS"] = ["log", "flaky"]
    app.extensions.pop("makker.channels", None)


def test_only_the_first_delivery_of_a_notification_counts_for_latency(app, clock, flaky):
    with app.app_context():
        session = _db.session
        start_visit(session, clock, minutes=60)
        clock.advance(minutes=55, seconds=1)
        first = engine.tick(session, clock)  # log delivers (1 s late); flaky fails and waits 5 s
        assert first.latencies == [1.0]
        assert first.by_channel == {"log": {"sent": 1}, "flaky": {"retried": 1}}
        clock.advance(seconds=5)
        second = engine.tick(session, clock)  # flaky delivers the same notification: not a first delivery
        assert second.by_channel == {"flaky": {"sent": 1}} and second.latencies == []
