"""Web Push with pywebpush: one encrypted (aes128gcm) POST per subscription of the recipient.

- A fresh VAPID claims dict per send (pywebpush writes `aud`/`exp` into the dict it is given):
  `aud` = the endpoint's origin, `exp` = now + 12 h, `sub` = VAPID_SUBJECT.
- One `requests.Session` per channel instance (connections are reused), redirects refused (a push
  service never redirects; following one would be a way around the host allow-list), bounded timeouts.
- Alerts and other urgent messages: `Urgency: high`, TTL one hour; information: `normal`, shorter or
  longer TTL by type.
- 201 → delivered. 404/410 → the subscription is dead: deleted. 429/5xx and network errors → retry
  (Retry-After in seconds or as an HTTP date, else exponential backoff). Other 4xx → failed.
- The endpoint is checked against PUSH_ALLOWED_HOSTS again at send time (the list may have changed)."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, timedelta
from email.utils import parsedate_to_datetime
from urllib.request import getproxies

import requests
from flask import current_app
from py_vapid import Vapid02
from pywebpush import WebPusher
from requests.adapters import HTTPAdapter
from sqlalchemy import delete, select

from app.keys import load_vapid_private_key
from app.notify.channels.base import Channel, OutgoingMessage, SendResult

log = logging.getLogger("makker.notify.push")

CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 10.0
CLAIMS_LIFETIME_S = 12 * 3600
VAPID_REUSE_S = 3600
MAX_PAYLOAD = 3000  # bytes of JSON; the encrypted record must stay under 4 KiB
# type -> (Urgency, TTL seconds). Urgent notifications are at least ("high", 3600).
PROFILES = {
    "alert": ("high", 3600),
    "interrupt": ("high", 3600),
    "reminder": ("high", 900),
    "ack": ("normal", 3600),
    "resolved": ("normal", 3600),
    "incident": ("normal", 24 * 3600),
    "test": ("normal", 600),
}
# Write last_success_at at most this often per subscription (saves a write per push).
SUCCESS_STAMP_EVERY = timedelta(minutes=10)


class _NoRedirectSession(requests.Session):
    def request(self, method, url, **kwargs):
        kwargs["allow_redirects"] = False
        return super().request(method, url, **kwargs)


def push_session(pool_size: int = 32) -> requests.Session:
    session = _NoRedirectSession()
    # Without proxy variables in the environment, skip requests' per-request look-ups of proxies and
    # ~/.netrc (measurable at hundreds of pushes a second); with them, keep requests' handling.
    session.trust_env = bool(getproxies())
    adapter = HTTPAdapter(pool_connections=8, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def urgency_and_ttl(message: OutgoingMessage) -> tuple[str, int]:
    urgency, ttl = PROFILES.get(message.type, ("normal", 3600))
    if message.urgent or message.type == "alert":
        urgency, ttl = "high", max(ttl, 3600)
    return urgency, ttl


def retry_after_seconds(value: str | None, now, default: float) -> float:
    """Retry-After as seconds or an HTTP date (RFC 9110), bounded to 1 s .. 1 h; `default` if absent."""
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return default
        if when is None:
            return default
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return min(max(seconds, 1.0), 3600.0)


def build_payload(message: OutgoingMessage) -> str:
    """The notification's payload as JSON, with localised action labels, small enough for Web Push."""
    from app.push.texts import action_titles

    payload = dict(message.payload)
    payload.setdefault("type", message.type)
    payload.setdefault("tag", message.tag)
    payload.setdefault("notification_id", message.notification_id)
    if payload.get("actions"):
        titles = action_titles(message.locale)
        wanted = list(payload["actions"])
        if "checkout" in wanted or "extend15" in wanted:
            wanted += ["checkout_done", "extended"]
        payload["action_titles"] = {a: titles[a] for a in wanted if a in titles}
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    while len(data.encode()) > MAX_PAYLOAD and len(payload.get("body", "")) > 20:
        payload["body"] = payload["body"][: max(20, len(payload["body"]) // 2)] + "…"
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return data


class PushChannel(Channel):
    name = "push"

    def __init__(self, config) -> None:
        super().__init__(config)
        self.vapid = Vapid02(private_key=load_vapid_private_key(config["VAPID_PRIVATE_KEY"]))
        self.subject = config.get("VAPID_SUBJECT") or "mailto:admin@makker.invalid"
        self.session = push_session()
        # Signed VAPID headers per push service origin, reused for at most VAPID_REUSE_S: signing
        # an ES256 JWT for every message is most of the cost of a push.
        self._vapid_headers: dict[str, tuple[int, dict]] = {}

    # --- at enqueue time -----------------------------------------------------------------------
    def wants(self, session, recipient, notification) -> bool:
        from app.push import services

        with session.no_autoflush:
            return services.prefs_of(session, recipient).push and services.has_subscription(session, recipient.id)

    def prepare(self, session, messages) -> dict[int, dict]:
        """Subscriptions and the duress rule for a whole dispatch round: two queries, not two per message."""
        from app.models import Alert, PushSubscription
        from app.push import services

        if not messages:
            return {}
        by_user: dict[int, list] = {}
        for sub in session.execute(
            select(PushSubscription)
            .where(PushSubscription.user_id.in_({m.recipient_id for m in messages}))
            .order_by(PushSubscription.created_at)
        ).scalars():
            by_user.setdefault(sub.user_id, []).append(
                (sub.id, sub.endpoint, sub.p256dh, sub.auth, services.device_name(sub.user_agent, sub.endpoint),
                 sub.last_success_at))
        alert_ids = {m.alert_id for m in messages if m.alert_id}
        duress = {
            (a.id, a.worker_id) for a in session.execute(
                select(Alert).where(Alert.id.in_(alert_ids), Alert.reason == "duress")).scalars()
        } if alert_ids else set()
        return {
            m.outbox_id: {"targets": by_user.get(m.recipient_id, []),
                          "duress_to_worker": (m.alert_id, m.recipient_id) in duress}
            for m in messages
        }

    # --- at send time --------------------------------------------------------------------------
    def send(self, message: OutgoingMessage) -> list[SendResult]:
        from app.extensions import db
        from app.models import PushSubscription

        prepared = message.prepared
        if prepared is None:  # sent outside a dispatch round: look it up now
            try:
                prepared = self.prepare(db.session, [message]).get(message.outbox_id, {})
            finally:
                db.session.rollback()  # hold no transaction while talking to the network
        if prepared.get("duress_to_worker"):
            return [SendResult(ok=False, detail="refused: a duress alarm is never sent to the worker")]
        targets = prepared.get("targets") or []
        if not targets:
            return [SendResult(ok=False, detail="no push subscription")]
        data = build_payload(message)
        urgency, ttl = urgency_and_ttl(message)
        allowed = current_app.config.get("PUSH_ALLOWED_HOSTS") or ()
        clock = current_app.extensions["makker.clock"]
        results, gone, stamps = [], [], {}
        for sub_id, endpoint, p256dh, auth, device, last_ok in targets:
            result = self._send_one(message, endpoint, p256dh, auth, device, data, urgency, ttl, allowed, clock)
            results.append(result)
            if result.extra.get("gone"):
                gone.append(sub_id)
            elif result.ok:
                if last_ok is None or clock.now() - last_ok >= SUCCESS_STAMP_EVERY:
                    stamps[sub_id] = ("ok", "")
            else:
                stamps[sub_id] = ("fail", result.detail)
        if gone or stamps:
            try:
                self._record(db.session, clock, gone, stamps, PushSubscription)
            finally:
                db.session.rollback()
        return results

    def _record(self, session, clock, gone, stamps, model) -> None:
        if not gone and not stamps:
            return
        now = clock.now()
        if gone:
            session.execute(delete(model).where(model.id.in_(gone)))
        for sub in session.execute(select(model).where(model.id.in_(list(stamps)))).scalars():
            kind, detail = stamps[sub.id]
            if kind == "ok":
                sub.last_success_at = now
            else:
                sub.last_failure_at, sub.last_failure = now, detail[:500]
        session.commit()

    def vapid_headers(self, audience: str) -> dict:
        """A fresh claims dict (aud = the push service's origin, exp = now + 12 h) is signed when the
        cached header for that origin is older than VAPID_REUSE_S."""
        now = int(time.time())
        cached = self._vapid_headers.get(audience)
        if cached is None or cached[0] - now < CLAIMS_LIFETIME_S - VAPID_REUSE_S:
            exp = now + CLAIMS_LIFETIME_S
            headers = self.vapid.sign({"sub": self.subject, "aud": audience, "exp": exp})
            cached = (exp, {k: v for k, v in headers.items() if k.lower() in ("authorization", "crypto-key")})
            self._vapid_headers[audience] = cached
        return cached[1]

    def _send_one(self, message, endpoint, p256dh, auth, device, data, urgency, ttl, allowed, clock) -> SendResult:
        from app.notify.outbox import backoff
        from app.push import services, texts

        locale = message.locale
        if not services.endpoint_allowed(endpoint, allowed):
            return SendResult(ok=False, detail=texts.push_not_allowed(locale, device))
        try:
            response = WebPusher(
                {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
                requests_session=self.session,
            ).send(
                data=data,
                headers={**self.vapid_headers(services.origin(endpoint)), "Urgency": urgency},
                ttl=ttl,
                content_encoding="aes128gcm",
                timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            )
            status = response.status_code
            if status in (404, 410):
                return SendResult(ok=False, status=status, detail=texts.push_gone(locale, device),
                                  extra={"gone": True})
            if status == 429 or status >= 500:
                wait = retry_after_seconds(response.headers.get("Retry-After"), clock.now(), backoff(message.attempt))
                return SendResult(ok=False, status=status, retry_after=wait,
                                  detail=texts.push_failed(locale, device, status))
            if status >= 300:
                return SendResult(ok=False, status=status, detail=texts.push_failed(locale, device, status))
        except requests.RequestException as exc:
            return SendResult(ok=False, detail=f"push to {device}: {type(exc).__name__}"[:500],
                              retry_after=backoff(message.attempt))
        except Exception as exc:  # bad keys and the like: retrying would not help
            log.warning("push to %s failed: %s", device, exc)
            return SendResult(ok=False, detail=f"push to {device}: {type(exc).__name__}: {exc}"[:500])
        return SendResult(ok=True, status=response.status_code, detail=texts.push_delivered(locale, device))
