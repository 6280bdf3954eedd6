"""Fixtures for push, SMS and e-mail: a fake push service, a fake SMS gateway, a local SMTP server."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.extensions import db as _db
from app.keys import load_vapid_private_key, vapid_public_key_b64
from tests.push.fake_push import FakePushService

VAPID_PEM = ec.generate_private_key(ec.SECP256R1()).private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()


@pytest.fixture
def fake_push():
    service = FakePushService().start()
    service.vapid_public_key = vapid_public_key_b64(load_vapid_private_key(VAPID_PEM))
    yield service
    service.stop()


class FakeSmsGateway:
    """GatewayAPI-style: POST JSON with `Authorization: Token <token>`; records what it was sent."""

    TOKEN = "test-token-123"

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.plans: list[tuple[int, dict]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers, answer = gateway._handle(self.path, dict(self.headers), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/rest/mtsms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _handle(self, path, headers, body):
        record = {"path": path, "headers": headers, "raw": body, "json": None, "status": 200}
        self.received.append(record)
        if headers.get("Authorization") != f"Token {self.TOKEN}":
            record["status"] = 401
            return 401, {}, {"code": "0x0213", "message": "Unauthorized"}
        try:
            data = json.loads(body)
            assert isinstance(data["sender"], str) and isinstance(data["message"], str)
            assert data["recipients"] and all(isinstance(r["msisdn"], int) for r in data["recipients"])
        except Exception:
            record["status"] = 422
            return 422, {}, {"message": "bad body"}
        record["json"] = data
        if self.plans:
            status, extra = self.plans.pop(0)
            record["status"] = status
            return status, extra, {"message": "planned"}
        return 200, {}, {"ids": [abs(hash(uuid.uuid4())) % 10**9]}

    @property
    def messages(self) -> list[dict]:
        return [r["json"] for r in self.received if r["status"] == 200]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sms_gateway():
    gateway = FakeSmsGateway()
    yield gateway
    gateway.stop()


@pytest.fixture
def push_config(fake_push):
    """Overridden by modules that need more (SMS, SMTP)."""
    return {}


@pytest.fixture
def app_config(app_config, fake_push, push_config):
    return {
        **app_config,
        "VAPID_PRIVATE_KEY": VAPID_PEM,
        "VAPID_SUBJECT": "mailto:drift@makker.example",
        "PUSH_ALLOWED_HOSTS": ("fcm.googleapis.com", "*.notify.windows.com", fake_push.host_port),
        "PUBLIC_URL": "https://makker.example",
        **push_config,
    }


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield _db.session
