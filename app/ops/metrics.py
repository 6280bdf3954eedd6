"""Prometheus metrics, built from the database at scrape time (nothing is counted in process memory:
web and watchdog processes run on several hosts, any web process may be scraped).

Gauges come from the due times on visits, alerts and the outbox; counters and the latency histogram
from the cumulative counters on each watchdog's `watchdog_beats` row, labelled `watchdog="<name>"`
(host:pid:thread). A restarted watchdog is a new name, so a new series: `rate()` and `increase()`
handle that like any counter reset. Rows of watchdogs gone for 7 days are pruned by the watchdogs."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from app.ops import beats as beat_counters
from app.ops.services import DUE_KINDS, Liveness

OUTCOMES = (
    ("sent", "makker_outbox_sent_total", "Outbox entries delivered, by watchdog and channel."),
    ("failed", "makker_outbox_failed_total",
     "Outbox entries given up on (no retry left or not retryable), by watchdog and channel."),
    ("retried", "makker_outbox_retried_total", "Failed attempts that will be retried, by watchdog and channel."),
    ("skipped", "makker_outbox_skipped_total",
     "Outbox entries that needed no sending (e.g. the SMS fallback after a delivered push)."),
)


class MakkerCollector:
    """A custom collector over one `Liveness` snapshot (app.ops.services.liveness)."""

    def __init__(self, state: Liveness) -> None:
        self.state = state

    def describe(self):
        return []  # registering must not query anything; collect() runs at scrape time only

    def collect(self):
        state = self.state
        due = GaugeMetricFamily("makker_watchdog_steps_due",
                                "Steps whose time has come and that no watchdog has done yet.", labels=["kind"])
        for kind in DUE_KINDS:
            due.add_metric([kind], state.due.get(kind, 0))
        yield due
        yield GaugeMetricFamily("makker_watchdog_oldest_due_age_seconds",
                                "How long the oldest due step has waited (0 when none is due).",
                                value=state.oldest_due_age_s or 0.0)
        yield GaugeMetricFamily("makker_outbox_pending", "Unsent outbox entries, due or waiting for a retry.",
                                value=state.outbox_pending)
        yield GaugeMetricFamily("makker_outbox_oldest_pending_age_seconds",
                                "Age of the oldest unsent outbox entry's notification (0 when none).",
                                value=state.oldest_unsent_age_s or 0.0)
        yield GaugeMetricFamily("makker_watchdogs_alive",
                                f"Watchdog processes that ticked in the last {state.stale_s} s.", value=state.alive)
        yield GaugeMetricFamily("makker_watchdog_stale_after_seconds",
                                "MAKKER_WATCHDOG_STALE_S: a watchdog silent this long counts as dead.",
                                value=state.stale_s)

        last_tick = GaugeMetricFamily("makker_watchdog_last_tick_timestamp_seconds",
                                      "When each watchdog last ticked (Unix time).", labels=["watchdog"])
        started = GaugeMetricFamily("makker_watchdog_start_timestamp_seconds",
                                    "When each watchdog process started (Unix time).", labels=["watchdog"])
        steps = CounterMetricFamily("makker_watchdog_steps", "Steps fired (reminders, alerts, escalations, "
                                    "follow-ups), by watchdog.", labels=["watchdog"])
        outcomes = {key: CounterMetricFamily(name, doc, labels=["watchdog", "channel"])
                    for key, name, doc in OUTCOMES}
        latency = HistogramMetricFamily(
            "makker_watchdog_due_to_sent_seconds",
            "Seconds from a step's due time to the first successful delivery of each of its notifications.",
            labels=["watchdog"])
        for beat in state.beats:
            name = [beat.name]
            last_tick.add_metric(name, beat.last_tick_at.timestamp())
            started.add_metric(name, beat.started_at.timestamp())
            steps.add_metric(name, beat.steps_done or 0)
            for channel, counts in sorted((beat.channels or {}).items()):
                for key, family in outcomes.items():
                    family.add_metric([beat.name, channel], counts.get(key, 0))
            latency.add_metric(name, buckets=beat_counters.cumulative(beat.latency_buckets or {}),
                               sum_value=beat.latency_sum or 0.0)
        yield last_tick
        yield started
        yield steps
        yield from outcomes.values()
        yield latency


def exposition(state: Liveness) -> bytes:
    """The text exposition of one snapshot, from a private registry (nothing global, nothing cached)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MakkerCollector(state))
    return generate_latest(registry)
