"""Benchmark: 1,000 Web Push messages through Makker's outbox + PushChannel to a local receiver, against
sending the same number of pre-encrypted requests with a plain `requests.Session` in the same run
(rounds interleaved, medians reported: the machine may be busy with other work).

    .venv/bin/python -m bench.push_dispatch [--pushes 1000] [--users 100] [--rounds 3]

Makker's time includes everything the watchdog does: claiming the outbox entries with a lease,
reading the subscriptions, VAPID signing and aes128gcm encryption per push (pywebpush), the POSTs,
and recording a DeliveryAttempt per push. The baseline only POSTs bodies and headers made before the
clock starts. Target: Makker ≤ 2× the baseline. SQLite in a temporary directory unless
MAKKER_BENCH_DATABASE_URL is set (e.g. a PostgreSQL URL)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class Receiver:
    """A push service that answers 201 to every POST, keep-alive, counting what arrives."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.count += 1
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.request_queue_size = 128
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def subscription_keys():
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
    return b64(point), b64(os.urandom(16))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pushes", type=int, default=1000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are reported")
    args = parser.parse_args()

    import requests
    from py_vapid import Vapid02
    from pywebpush import WebPusher

    from app import create_app
    from app.clock import FakeClock
    from app.extensions import db
    from app.keys import load_vapid_private_key
    from app.models import OutboxEntry, PushSubscription, Unit, User
    from app.notify import outbox
    from app.notify.channels.push import build_payload

    receiver = Receiver()
    tmp = tempfile.mkdtemp(prefix="makker-bench-")
    url = os.environ.get("MAKKER_BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
    clock = FakeClock()
    app = create_app({
        "TESTING": True, "INSTANCE_PATH": f"{tmp}/instance", "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
        "CLOCK": clock, "DEMO": False, "NOTIFY_CHANNELS": ("push",),
        "PUSH_ALLOWED_HOSTS": (receiver.url.removeprefix("http://"),),
    })
    per_user = max(1, args.pushes // args.users)
    with app.app_context():
        db.drop_all()
        db.create_all()
        unit = Unit(name="Bench")
        db.session.add(unit)
        users = []
        for i in range(args.users):
            user = User(username=f"u{i}", name=f"User {i}", unit=unit, created_at=clock.now(), phone="", email="")
            p256dh, auth = subscription_keys()
            db.session.add(user)
            db.session.flush()
            db.session.add(PushSubscription(user_id=user.id, endpoint=f"{receiver.url}/push/{uuid.uuid4().hex}",
                                            p256dh=p256dh, auth=auth, user_agent="bench", created_at=clock.now(),
                                            last_failure=""))
            users.append(user)
        db.session.commit()
        payload = {"title": "ALARM: Anna Jensen har trykket SOS",
                   "body": "Sted: Vestergade 1, 2. th. Åbn Makker, tag alarmen og ring til Anna.",
                   "url": "/alerts/x", "reason": "sos", "level": 2, "actions": ["ack", "call"]}

        # The baseline's requests: encrypted and signed before its clock starts.
        from app.notify.channels.base import OutgoingMessage

        vapid = Vapid02(private_key=load_vapid_private_key(app.config["VAPID_PRIVATE_KEY"]))
        subs = db.session.query(PushSubscription).all()
        message = OutgoingMessage(outbox_id=0, notification_id="n", recipient_id=0, recipient_name="", phone="",
                                  email="", locale="da", type="alert", tag="alert-bench", urgent=True,
                                  payload={**payload, "type": "alert", "tag": "alert-bench"})
        data = build_payload(message).encode()
        total = per_user * len(users)
        prepared = []
        for i in range(total):
            sub = subs[i % len(subs)]
            pusher = WebPusher({"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}})
            headers = vapid.sign({"sub": "mailto:bench@makker.invalid", "aud": receiver.url,
                                  "exp": int(time.time()) + 3600})
            headers.update({"Content-Encoding": "aes128gcm", "TTL": "3600", "Urgency": "high"})
            prepared.append((sub.endpoint, pusher.encode(data, "aes128gcm")["body"], headers))
        plain_session = requests.Session()

        rounds = []
        for r in range(args.rounds):
            for n in range(per_user):
                for user in users:
                    outbox.enqueue(db.session, clock, user, type="alert", step_key=f"bench:{r}:{n}",
                                   tag=f"alert-bench-{r}-{n}", urgent=True, payload=payload)
            db.session.commit()
            before = receiver.count
            started = time.perf_counter()
            sent = 0
            while True:
                report = outbox.dispatch_due(db.session, clock)
                sent += report.sent
                if report.sent + report.failed + report.retried == 0:
                    break
            makker_s = time.perf_counter() - started
            assert sent == total and receiver.count - before == total, (sent, receiver.count - before, total)
            assert db.session.query(OutboxEntry).filter(OutboxEntry.state != "sent").count() == 0

            before = receiver.count
            started = time.perf_counter()
            for endpoint, body, headers in prepared:
                response = plain_session.post(endpoint, data=body, headers=headers, timeout=10)
                assert response.status_code == 201
            plain_s = time.perf_counter() - started
            assert receiver.count - before == total
            rounds.append((makker_s, plain_s))
            print(f"round {r + 1}: makker {makker_s:.3f} s, plain {plain_s:.3f} s, ratio {makker_s / plain_s:.2f}x")

    makker = statistics.median(m for m, _ in rounds)
    plain = statistics.median(p for _, p in rounds)
    ratio = statistics.median(m / p for m, p in rounds)
    print(f"pushes per round: {total} ({args.users} users x {per_user}), database: {url.split(':')[0]}, "
          f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
    print(f"makker outbox + PushChannel (median): {makker:.3f} s ({total / makker:.0f} pushes/s)")
    print(f"plain requests.Session, pre-encrypted (median): {plain:.3f} s ({total / plain:.0f} requests/s)")
    print(f"ratio makker / plain (median of rounds): {ratio:.2f}x (target <= 2x: {'OK' if ratio <= 2 else 'MISSED'})")


if __name__ == "__main__":
    main()
