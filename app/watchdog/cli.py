"""`flask --app wsgi watchdog`: run one watchdog process (production: one or more, on PostgreSQL)."""

from __future__ import annotations

import faulthandler
import logging
import signal
import threading

import click
from flask import current_app

from app.watchdog import runner


@click.command("watchdog")
@click.option("--name", default=None, help="Name shown in health checks (default host:pid).")
def watchdog_command(name: str | None):
    """Fire due reminders, alerts and escalations, and send the outbox."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 <pid>` prints every thread's stack
    stop = threading.Event()

    def on_signal(signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    runner.run(current_app._get_current_object(), stop, name=name)
