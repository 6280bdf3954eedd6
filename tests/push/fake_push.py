"""A fake Web Push service on 127.0.0.1, in a thread: it checks what a real push service checks and
decrypts what a browser would.

- The VAPID JWT (`Authorization: vapid t=<jwt>,k=<key>`): ES256 signature with the application
  server's public key (must equal the key Makker publishes), `aud` = this service's origin,
  `exp` in the future and at most 24 h ahead, `sub` a mailto: or https: URL.
- The body: `Content-Encoding: aes128gcm`, decrypted with `http_ece` using the subscription's private
  key and auth secret (a P-256 key pair and 16 random bytes made per fake subscription, as a browser does).
- Answers 201 by default, or what a test asked for (404/410/429 with Retry-After/500, ...), and
  records every request (headers, claims, decrypted payload, answer)."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


class FakeSubscription:
    """What a browser keeps for one push subscription: endpoint, P-256 key pair, auth secret."""

    def __init__(self, service: FakePushService, name: str | None = None) -> None:
        self.name = name or uuid.uuid4().hex
        self.path = f"/wpush/v2/{self.name}"
        self.endpoint = service.url + self.path
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth_secret = os.urandom(16)

    @property
    def p256dh(self) -> str:
        return b64url(self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)

    def to_json(self) -> dict:
        """As `PushSubscription.toJSON()` in a browser."""
        return {"endpoint": self.endpoint, "expirationTime": None, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


@dataclass
class Received:
    path: str
    headers: dict
    status: int
    claims: dict | None = None
    payload: dict | None = None
    error: str = ""
    connection: int = 0

    @property
    def ttl(self) -> int | None:
        value = self.headers.get("ttl")
        return int(value) if value is not None else None

    @property
    def urgency(self) -> str | None:
        return self.headers.get("urgency")


@dataclass
class _Plan:
    status: int
    headers: dict = field(default_factory=dict)


class FakePushService:
    def __init__(self, *, verify: bool = True) -> None:
        self.verify = verify
        self.vapid_public_key: str | None = None  # base64url; set by the test (Makker's key)
        self.subscriptions: dict[str, FakeSubscription] = {}
        self.plans: dict[str, list[_Plan]] = {}
        self.received: list[Received] = []
        self.connections = 0
        self.count = 0
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: connection reuse is visible in `connections`

            def setup(self):
                super().setup()
                with service._lock:
                    service.connections += 1
                    self.connection_no = service.connections

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers = service._handle(self.path, {k.lower(): v for k, v in self.headers.items()}, body,
                                                  self.connection_no)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.host_port = f"127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-push", daemon=True)

    # --- test API ----------------------------------------------------------------------------------
    def start(self) -> FakePushService:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def new_subscription(self, name: str | None = None) -> FakeSubscription:
        sub = FakeSubscription(self, name)
        self.subscriptions[sub.path] = sub
        return sub

    def answer(self, sub: FakeSubscription, status: int, headers: dict | None = None, times: int = 1) -> None:
        """The next `times` pushes to `sub` get `status` (then 201 again)."""
        self.plans.setdefault(sub.path, []).extend(_Plan(status, headers or {}) for _ in range(times))

    def for_sub(self, sub: FakeSubscription) -> list[Received]:
        return [r for r in self.received if r.path == sub.path]

    def delivered(self) -> list[Received]:
        return [r for r in self.received if r.status == 201]

    # --- the push service --------------------------------------------------------------------------
    def _handle(self, path: str, headers: dict, body: bytes, connection: int) -> tuple[int, dict]:
        record = Received(path=path, headers=headers, status=201, connection=connection)
        try:
            sub = self.subscriptions.get(path)
            if sub is None:
                record.status, record.error = 404, "unknown subscription"
            elif self.verify:
                record.claims = self._check_vapid(headers.get("authorization", ""))
                if headers.get("content-encoding") != "aes128gcm":
                    raise ValueError(f"content-encoding {headers.get('content-encoding')!r}")
                if "ttl" not in headers:
                    raise ValueError("TTL header missing")
                plain = http_ece.decrypt(body, private_key=sub.private_key, auth_secret=sub.auth_secret,
                                         version="aes128gcm")
                record.payload = json.loads(plain)
        except Exception as exc:  # a real push service answers 400/401/403
            record.status, record.error = 400, f"{type(exc).__name__}: {exc}"
        reply_headers: dict = {}
        if record.status == 201:
            with self._lock:
                plan = self.plans.get(path)
                if plan:
                    step = plan.pop(0)
                    record.status, reply_headers = step.status, dict(step.headers)
            if record.status == 201:
                reply_headers["Location"] = f"{self.url}/m/{uuid.uuid4().hex}"
        with self._lock:
            self.received.append(record)
            self.count += 1
        return record.status, reply_headers

    def _check_vapid(self, authorization: str) -> dict:
        scheme, _, params = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise ValueError(f"authorization scheme {scheme!r}")
        parts = dict(p.strip().split("=", 1) for p in params.split(","))
        token, key = parts["t"], parts["k"]
        if self.vapid_public_key is not None and key != self.vapid_public_key:
            raise ValueError("VAPID key is not the application server's key")
        header_b64, claims_b64, signature_b64 = token.split(".")
        header = json.loads(b64url_decode(header_b64))
        if header.get("alg") != "ES256":
            raise ValueError(f"alg {header.get('alg')!r}")
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(key))
        raw = b64url_decode(signature_b64)
        if len(raw) != 64:
            raise InvalidSignature("signature length")
        der = utils.encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        public_key.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        claims = json.loads(b64url_decode(claims_b64))
        now = time.time()
        if claims.get("aud") != self.url:
            raise ValueError(f"aud {claims.get('aud')!r} is not {self.url!r}")
        if not now < claims.get("exp", 0) <= now + 24 * 3600:
            raise ValueError(f"exp {claims.get('exp')!r} not within 24 h")
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            raise ValueError("sub missing")
        return claims
