"""What a watchdog process adds to its own `watchdog_beats` row after a tick.

The counters are cumulative since the process started and live in the database (web and watchdog
processes run on several hosts, so process memory is no place for them). Only the process that owns
a row writes it, so a plain read-modify-write is safe. /metrics exposes each row with the label
`watchdog="<name>"`; a restarted process is a new name, hence a new series, which is how Prometheus
treats a counter reset anyway."""

from __future__ import annotations

import math

from app.notify.outbox import merge_channel_counts

# Upper bounds (seconds) of the due->sent latency histogram; "+Inf" is added. The contract's target is
# p99 <= 1 s, so the resolution is finest below that.
BUCKETS: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
INF = "+Inf"


def bucket_key(bound: float) -> str:
    return INF if math.isinf(bound) else repr(float(bound))


def bucket_for(seconds: float) -> str:
    """The key of the (non-cumulative) bucket `seconds` falls in: the smallest bound >= seconds."""
    for bound in BUCKETS:
        if seconds <= bound:
            return bucket_key(bound)
    return INF


def cumulative(buckets: dict[str, int]) -> list[tuple[str, int]]:
    """Stored per-bucket counts -> Prometheus' cumulative (le, count) pairs, ending with +Inf.
    Works with keys from older bucket layouts too (each key is its own upper bound)."""
    bounds = sorted({*(float(k) for k in buckets), *BUCKETS, math.inf})
    total, pairs = 0, []
    for bound in bounds:
        total += int(buckets.get(bucket_key(bound), 0))
        pairs.append((bucket_key(bound), total))
    return pairs


def add_tick(beat, tick) -> None:
    """Accumulate one `engine.Tick` into a WatchdogBeat row (new dicts: JSON columns are not mutable-tracked)."""
    beat.steps_done = (beat.steps_done or 0) + tick.steps
    beat.sent = (beat.sent or 0) + tick.sent
    beat.failed = (beat.failed or 0) + tick.failed
    beat.retried = (beat.retried or 0) + tick.retried
    if tick.latencies:
        buckets = dict(beat.latency_buckets or {})
        for seconds in tick.latencies:
            key = bucket_for(seconds)
            buckets[key] = buckets.get(key, 0) + 1
        beat.latency_buckets = buckets
        beat.latency_count = (beat.latency_count or 0) + len(tick.latencies)
        beat.latency_sum = (beat.latency_sum or 0.0) + sum(tick.latencies)
    if tick.by_channel:
        channels = {name: dict(counts) for name, counts in (beat.channels or {}).items()}
        merge_channel_counts(channels, tick.by_channel)
        beat.channels = channels
