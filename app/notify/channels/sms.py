"""SMS through an HTTP gateway in the style of GatewayAPI: POST JSON
`{"sender", "message", "recipients": [{"msisdn": 4520112201}]}` with `Authorization: Token <token>`.

When an alert goes by SMS:
- to a responder without push (no subscription, or push switched off): at once;
- to a responder with push: after SMS_FALLBACK_DELAY_S, and only if no push for the same
  notification was delivered by then (otherwise the entry ends as "skipped: not needed");
- on every level-2 alert when the unit has `sms_for_level2` on: at once, whatever push did.
Plus the user's own test message (to confirm the number). Off when MAKKER_SMS_URL/TOKEN are unset."""

from __future__ import annotations

import logging

import requests
from flask import current_app
from requests.adapters import HTTPAdapter

from app.notify.channels.base import Channel, OutgoingMessage, SendResult

log = logging.getLogger("makker.notify.sms")
TIMEOUT = (3.05, 10.0)
MAX_LENGTH = 459  # three concatenated GSM-7 segments


def public_link(config, path: str | None) -> str | None:
    base = (config.get("PUBLIC_URL") or "").rstrip("/")
    if not base or not path or not path.startswith("/"):
        return None
    return base + path


class SmsChannel(Channel):
    name = "sms"

    def __init__(self, config) -> None:
        super().__init__(config)
        self.session = requests.Session()
        self.session.mount("https://", HTTPAdapter(pool_maxsize=16, max_retries=0))
        self.session.mount("http://", HTTPAdapter(pool_maxsize=16, max_retries=0))

    @property
    def configured(self) -> bool:
        return bool(self.config.get("SMS_URL") and self.config.get("SMS_TOKEN"))

    def _policy(self, session, notification) -> bool:
        from app.push import services

        return services.level2_sms_policy(session, notification.alert_id, (notification.payload or {}).get("level"))

    def wants(self, session, recipient, notification) -> bool:
        from app.push import services

        if not self.configured or services.msisdn(recipient.phone) is None:
            return False
        with session.no_autoflush:
            if services.is_own_test(notification.type, notification.payload):
                return services.prefs_of(session, recipient).sms
            if not services.is_alarm(notification.type, notification.payload, notification.urgent):
                return False
            if services.duress_to_worker(session, notification.alert_id, recipient.id):
                return False
            return self._policy(session, notification) or services.prefs_of(session, recipient).sms

    def first_attempt_delay(self, session, recipient, notification) -> float:
        from app.notify.channels import get_channel
        from app.push import services

        if not services.is_alarm(notification.type, notification.payload, notification.urgent):
            return 0.0
        with session.no_autoflush:
            if self._policy(session, notification):
                return 0.0
            push = get_channel("push")
            if push is not None and push.wants(session, recipient, notification):
                return float(self.config.get("SMS_FALLBACK_DELAY_S", 30))
        return 0.0

    def send(self, message: OutgoingMessage) -> list[SendResult]:
        from app.extensions import db
        from app.notify.outbox import backoff
        from app.push import services, texts

        session = db.session
        try:
            if services.duress_to_worker(session, message.alert_id, message.recipient_id):
                return [SendResult(ok=False, detail="refused: a duress alarm is never sent to the worker")]
            if services.is_alarm(message.type, message.payload, message.urgent) and not services.level2_sms_policy(
                session, message.alert_id, message.payload.get("level")
            ) and services.push_delivered(session, message.notification_id):
                return [SendResult(ok=True, skipped=True, detail=texts.sms_not_needed(message.locale))]
        finally:
            session.rollback()
        number = services.msisdn(message.phone)
        if number is None:
            return [SendResult(ok=False, detail="no usable phone number")]
        confirm_link = None
        own_test = services.is_own_test(message.type, message.payload)
        if own_test:
            token = services.confirm_token(current_app.secret_key, message.recipient_id, "sms", message.phone)
            confirm_link = public_link(self.config, f"/push/confirm/{token}")
        text = texts.sms_text(message.locale, "test" if own_test else "alert", message.payload.get("title", ""),
                              public_link(self.config, message.payload.get("url")), confirm_link)
        body = {
            "sender": (self.config.get("SMS_SENDER") or "Makker")[:11],
            "message": text[:MAX_LENGTH],
            "recipients": [{"msisdn": int(number)}],
            "userref": message.notification_id,
        }
        try:
            response = self.session.post(
                self.config["SMS_URL"], json=body, timeout=TIMEOUT, allow_redirects=False,
                headers={"Authorization": f"Token {self.config['SMS_TOKEN']}", "Accept": "application/json"},
            )
        except requests.RequestException as exc:
            return [SendResult(ok=False, detail=f"SMS gateway: {type(exc).__name__}",
                               retry_after=backoff(message.attempt))]
        status = response.status_code
        if 200 <= status < 300:
            return [SendResult(ok=True, status=status, detail=texts.sms_sent(message.locale, message.phone))]
        if status == 429 or status >= 500:
            from app.notify.channels.push import retry_after_seconds

            clock = current_app.extensions["makker.clock"]
            wait = retry_after_seconds(response.headers.get("Retry-After"), clock.now(), backoff(message.attempt))
            return [SendResult(ok=False, status=status, retry_after=wait, detail=f"SMS gateway answered {status}")]
        return [SendResult(ok=False, status=status, detail=f"SMS gateway refused: {status} {response.text[:200]}")]
