"""The watchdog's own beat row: cumulative counters and the latency histogram, pruning of old rows,
and a beat written after a tick in which something failed."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db as _db
from app.models import WatchdogBeat
from app.ops import beats
from app.watchdog import engine, runner
from tests.ops.conftest import add_beat


def test_bucket_bounds_are_inclusive_upper_bounds():
    assert beats.bucket_for(0.0) == "0.05"
    assert beats.bucket_for(0.05) == "0.05"
    assert beats.bucket_for(0.0501) == "0.1"
    assert beats.bucket_for(1.0) == "1.0"
    assert beats.bucket_for(600.0) == "600.0"
    assert beats.bucket_for(600.01) == "+Inf"


def test_cumulative_buckets_end_with_the_total_and_keep_old_bounds():
    pairs = beats.cumulative({"0.1": 2, "1.0": 1, "+Inf": 4, "0.75": 1})  # 0.75: a bound no longer used
    as_dict = dict(pairs)
    assert as_dict["0.05"] == 0 and as_dict["0.1"] == 2 and as_dict["0.75"] == 3 and as_dict["1.0"] == 4
    assert pairs[-1] == ("+Inf", 8)
    counts = [n for _le, n in pairs]
    assert counts == sorted(counts)


def test_beat_accumulates_ticks(ctx, clock):
    started = clock.now()
    first = engine.Tick(steps=2, sent=3, failed=1, retried=1, latencies=[0.2, 3.0],
                        by_channel={"log": {"sent": 3}, "sms": {"failed": 1, "retried": 1}})
    runner._beat(ctx, clock, "wd-acc", started, first)
    clock.advance(seconds=10)
    second = engine.Tick(steps=1, sent=1, latencies=[0.2], by_channel={"log": {"sent": 1}, "sms": {"skipped": 2}})
    runner._beat(ctx, clock, "wd-acc", started, second)
    ctx.expire_all()
    beat = ctx.get(WatchdogBeat, "wd-acc")
    assert (beat.started_at, beat.last_tick_at) == (started, clock.now())
    assert (beat.steps_done, beat.sent, beat.failed, beat.retried) == (3, 4, 1, 1)
    assert beat.latency_count == 3 and abs(beat.latency_sum - 3.4) < 1e-9
    assert beat.latency_buckets == {"0.25": 2, "5.0": 1}
    assert beat.channels == {"log": {"sent": 4}, "sms": {"failed": 1, "retried": 1, "skipped": 2}}


def test_a_new_watchdog_prunes_beats_older_than_seven_days(ctx, clock, monkeypatch):
    monkeypatch.setattr(runner, "_pruned", {})  # this process has not pruned yet
    add_beat(ctx, clock, "gone-long-ago:1:1", ago=timedelta(days=7, minutes=1).total_seconds())
    add_beat(ctx, clock, "almost-7-days:2:1", ago=timedelta(days=7, minutes=-10).total_seconds())
    add_beat(ctx, clock, "gone-yesterday:3:1", ago=timedelta(days=1).total_seconds())
    runner._beat(ctx, clock, "wd-prune", clock.now(), engine.Tick())
    names = set(ctx.execute(select(WatchdogBeat.name)).scalars())
    assert names == {"almost-7-days:2:1", "gone-yesterday:3:1", "wd-prune"}

    # Then at most once per PRUNE_EVERY (an hour), not at every beat.
    clock.advance(minutes=30)
    runner._beat(ctx, clock, "wd-prune", clock.now(), engine.Tick())
    assert "almost-7-days:2:1" in set(ctx.execute(select(WatchdogBeat.name)).scalars())
    clock.advance(minutes=31)
    runner._beat(ctx, clock, "wd-prune", clock.now(), engine.Tick())
    assert set(ctx.execute(select(WatchdogBeat.name)).scalars()) == {"gone-yesterday:3:1", "wd-prune"}


def test_the_loop_writes_a_beat_after_a_tick_that_only_failed(app, clock, monkeypatch):
    """Beats are throttled to one per BEAT_EVERY when idle; a failure must be recorded at once."""
    stop = threading.Event()
    ticks = iter([engine.Tick(next_due=clock.now()), engine.Tick(failed=1, by_channel={"sms": {"failed": 1}})])

    def fake_tick(session, clock, should_stop=None):
        result = next(ticks)
        if result.failed:
            stop.set()
        return result

    monkeypatch.setattr(engine, "tick", fake_tick)
    worker = threading.Thread(target=runner.run, args=(app, stop), kwargs={"name": "wd-loop"})
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive()
    with app.app_context():
        beat = _db.session.get(WatchdogBeat, "wd-loop")
        assert beat is not None and beat.failed == 1 and beat.channels == {"sms": {"failed": 1}}
