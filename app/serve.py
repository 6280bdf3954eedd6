"""`flask --app wsgi serve`: the embedded single-machine server used by `make run`.

One process: a threaded WSGI server plus the background services features register (the watchdog).
SIGINT/SIGTERM stop the server, then the background services, cleanly."""

from __future__ import annotations

import logging
import os
import signal
import threading

import click
from flask import Flask, current_app
from werkzeug.serving import make_server

log = logging.getLogger("makker.serve")


def register_background(app: Flask, name: str, target) -> None:
    """`target(app, stop_event)` runs in a thread while `serve` runs."""
    app.extensions.setdefault("makker.background", []).append((name, target))


@click.command("serve")
@click.option("--host", default=lambda: os.environ.get("MAKKER_HOST", "127.0.0.1"))
@click.option("--port", default=lambda: int(os.environ.get("MAKKER_PORT", "5000")), type=int)
def serve_command(host: str, port: int):
    """Serve Makker with its watchdog in one process."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = current_app._get_current_object()
    stop = threading.Event()
    threads = []
    for name, target in app.extensions.get("makker.background", []):
        thread = threading.Thread(target=target, args=(app, stop), name=name, daemon=True)
        thread.start()
        threads.append(thread)
    server = make_server(host, port, app, threaded=True)

    def shutdown(signum, _frame):
        log.info("signal %s: stopping", signum)
        stop.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGTERM, shutdown)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"Makker is running at http://{shown}:{server.server_port}/", err=False)
    if app.config.get("DEMO"):
        click.echo("Sign in as anna, bo (staff), lene (leader), ali (AMR) or admin; password: demo")
    click.echo("Stop with Ctrl+C.")
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
        server.server_close()
        click.echo("Makker stopped.")
