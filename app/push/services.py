"""Push subscriptions, notification preferences, confirmation tokens and delivery health.

Plain functions that take a SQLAlchemy session (and a clock where time matters); no request objects."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import case, delete, event, func, select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import Alert, DeliveryAttempt, NotificationPrefs, OutboxEntry, PushSubscription, User

MAX_SUBSCRIPTIONS_PER_USER = 20
CONFIRM_MAX_AGE_S = 7 * 24 * 3600


class PushError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


# --- Which push endpoints may be called (SSRF guard) -----------------------------------------------

def _host_port(entry: str) -> tuple[str, int | None]:
    entry = entry.strip().lower()
    if entry.startswith("["):  # [::1]:8443
        host, _, rest = entry[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    if entry.count(":") == 1:
        host, port = entry.split(":")
        return host, int(port) if port.isdigit() else None
    return entry, None


def endpoint_allowed(endpoint: str, allowed_hosts) -> bool:
    """May Makker POST to this push endpoint?

    An entry `host` allows https://host (port 443); `*.suffix` allows https on any subdomain of suffix;
    `host:port` allows exactly that port, over https or plain http (for a local test receiver).
    Anything else, userinfo in the URL, or another scheme is refused."""
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.password:
        return False
    host = parts.hostname.lower().rstrip(".")
    for raw in allowed_hosts or ():
        entry_host, entry_port = _host_port(raw)
        if not entry_host:
            continue
        if entry_port is not None:
            if host == entry_host and port == entry_port:
                return True
            continue
        if parts.scheme != "https" or port not in (None, 443):
            continue
        if entry_host.startswith("*."):
            suffix = entry_host[1:]  # ".notify.windows.com"
            if host.endswith(suffix) and len(host) > len(suffix):
                return True
        elif host == entry_host:
            return True
    return False


def origin(endpoint: str) -> str:
    """The `aud` of the VAPID JWT: scheme://host[:port] of the push service."""
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


# --- Subscriptions ---------------------------------------------------------------------------------

def _b64decode(value: str) -> bytes:
    value = value.strip()
    if not re.fullmatch(r"[A-Za-z0-9_\-+/]*=*", value):
        raise ValueError("not base64")
    value = value.rstrip("=").replace("+", "-").replace("/", "_")
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def valid_keys(p256dh: str, auth: str) -> bool:
    """p256dh: an uncompressed point on P-256; auth: 16 random bytes (as browsers make them)."""
    try:
        point = _b64decode(p256dh)
        secret = _b64decode(auth)
        if len(point) != 65 or point[0] != 4 or len(secret) != 16:
            return False
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except (ValueError, binascii.Error):
        return False
    return True


def _b64url(value: str) -> str:
    return base64.urlsafe_b64encode(_b64decode(value)).rstrip(b"=").decode()


def subscribe(
    session: Session, clock: Clock, user: User, *, endpoint: str, p256dh: str, auth: str,
    user_agent: str, allowed_hosts,
) -> tuple[PushSubscription, bool]:
    """Store (or refresh) a browser's subscription for `user`. Returns (subscription, created).

    The same endpoint again updates the keys and moves it to `user` (a browser profile has one
    endpoint; whoever signs in on it last gets its pushes)."""
    if not endpoint_allowed(endpoint, allowed_hosts):
        raise PushError(400, "push_host_not_allowed",
                        "This push service is not on the allow-list (MAKKER_PUSH_ALLOWED_HOSTS).")
    if not valid_keys(p256dh, auth):
        raise PushError(400, "invalid_keys", "keys.p256dh must be a P-256 public key and keys.auth 16 bytes.")
    now = clock.now()
    sub = session.execute(select(PushSubscription).where(PushSubscription.endpoint == endpoint)).scalar_one_or_none()
    created = sub is None
    if created:
        sub = PushSubscription(endpoint=endpoint, user_id=user.id, created_at=now, last_failure="")
        session.add(sub)
    sub.user_id = user.id
    sub.p256dh, sub.auth = _b64url(p256dh), _b64url(auth)
    sub.user_agent = (user_agent or "")[:255]
    sub.updated_at = now
    session.flush()
    # Keep a user's list short: the oldest devices go first.
    ids = list(session.execute(
        select(PushSubscription.id).where(PushSubscription.user_id == user.id)
        .order_by(PushSubscription.updated_at.desc(), PushSubscription.id.desc())
    ).scalars())
    if len(ids) > MAX_SUBSCRIPTIONS_PER_USER:
        session.execute(delete(PushSubscription).where(PushSubscription.id.in_(ids[MAX_SUBSCRIPTIONS_PER_USER:])))
    return sub, created


def unsubscribe(session: Session, user: User, endpoint: str) -> bool:
    """Remove the user's subscription with this endpoint; False if the user had none (idempotent)."""
    return session.execute(
        delete(PushSubscription).where(PushSubscription.user_id == user.id, PushSubscription.endpoint == endpoint)
    ).rowcount > 0


def remove_device(session: Session, user: User, subscription_id: int) -> bool:
    return session.execute(
        delete(PushSubscription).where(PushSubscription.user_id == user.id, PushSubscription.id == subscription_id)
    ).rowcount > 0


def subscriptions_of(session: Session, user_id: int) -> list[PushSubscription]:
    return list(session.execute(
        select(PushSubscription).where(PushSubscription.user_id == user_id).order_by(PushSubscription.created_at)
    ).scalars())


def _tx_cache(session: Session, name: str) -> dict:
    """A cache that lives for the current transaction (cleared on commit and rollback)."""
    return session.info.setdefault("makker_tx_cache", {}).setdefault(name, {})


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _clear_tx_cache(session: Session) -> None:
    session.info.pop("makker_tx_cache", None)


def has_subscription(session: Session, user_id: int) -> bool:
    cache = _tx_cache(session, "has_subscription")
    if user_id not in cache:
        cache[user_id] = session.execute(
            select(PushSubscription.id).where(PushSubscription.user_id == user_id).limit(1)
        ).first() is not None
    return cache[user_id]


_BROWSERS = (("Edg/", "Edge"), ("SamsungBrowser", "Samsung Internet"), ("Firefox/", "Firefox"),
             ("FxiOS", "Firefox"), ("CriOS", "Chrome"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"),
            ("Mac OS X", "Mac"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def device_name(user_agent: str, endpoint: str = "") -> str:
    """A short, recognisable name for a device: "Chrome, Android"."""
    ua = user_agent or ""
    browser = next((name for key, name in _BROWSERS if key in ua), "")
    system = next((name for key, name in _SYSTEMS if key in ua), "")
    if not browser and "push.apple.com" in endpoint:
        browser = "Safari"
    name = ", ".join(p for p in (browser, system) if p)
    return name or (urlsplit(endpoint).hostname or "?")


# --- Preferences -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Prefs:
    push: bool = True
    sms: bool = True
    email: bool = True
    phone_confirmed_at: datetime | None = None
    email_confirmed_at: datetime | None = None


def prefs_of(session: Session, user: User) -> Prefs:
    """The user's channel choices (defaults when never saved); confirmations only count for the
    phone number and address the user has now."""
    cache = _tx_cache(session, "prefs_row")
    if user.id not in cache:
        cache[user.id] = session.get(NotificationPrefs, user.id)
    row = cache[user.id]
    if row is None:
        return Prefs()
    return Prefs(
        push=row.push_enabled, sms=row.sms_enabled, email=row.email_enabled,
        phone_confirmed_at=row.phone_confirmed_at if row.phone_confirmed and row.phone_confirmed == user.phone
        else None,
        email_confirmed_at=row.email_confirmed_at if row.email_confirmed and row.email_confirmed == user.email
        else None,
    )


def _prefs_row(session: Session, user_id: int) -> NotificationPrefs:
    row = session.get(NotificationPrefs, user_id)
    if row is None:
        row = NotificationPrefs(user_id=user_id, push_enabled=True, sms_enabled=True, email_enabled=True,
                                phone_confirmed="", email_confirmed="")
        session.add(row)
    return row


def set_prefs(session: Session, clock: Clock, user: User, *, push: bool, sms: bool, email: bool) -> None:
    row = _prefs_row(session, user.id)
    row.push_enabled, row.sms_enabled, row.email_enabled = push, sms, email
    row.updated_at = clock.now()


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="makker.notify.confirm")


def confirm_token(secret_key: str, user_id: int, channel: str, address: str) -> str:
    """A link token proving that a test message reached `address` (phone or e-mail)."""
    return _serializer(secret_key).dumps([user_id, channel, address])


def confirm(session: Session, clock: Clock, secret_key: str, token: str) -> tuple[User, str]:
    """Mark the phone or e-mail in `token` as confirmed. Raises PushError for a bad or stale link."""
    try:
        user_id, channel, address = _serializer(secret_key).loads(token, max_age=CONFIRM_MAX_AGE_S)
    except SignatureExpired:
        raise PushError(400, "expired", "The link is too old. Send a new test message.") from None
    except (BadSignature, ValueError, TypeError):
        raise PushError(404, "not_found", "Unknown link.") from None
    user = session.get(User, user_id)
    if user is None or channel not in ("sms", "email"):
        raise PushError(404, "not_found", "Unknown link.")
    current = user.phone if channel == "sms" else user.email
    if current != address:
        raise PushError(400, "changed", "The phone number or address has changed since the test.")
    row = _prefs_row(session, user.id)
    if channel == "sms":
        row.phone_confirmed, row.phone_confirmed_at = address, clock.now()
    else:
        row.email_confirmed, row.email_confirmed_at = address, clock.now()
    return user, channel


# --- Rules shared by the channels ------------------------------------------------------------------

def msisdn(phone: str | None, default_country: str = "45") -> str | None:
    """A phone number as MSISDN digits: "+45 20 11 22 01" -> "4520112201"; None if it is no number."""
    if not phone:
        return None
    raw = phone.strip()
    digits = re.sub(r"[\s\-().]", "", raw)
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    elif len(digits) == 8:  # a Danish national number
        digits = default_country + digits
    if not digits.isdigit() or not 8 <= len(digits) <= 15:
        return None
    return digits


def is_alarm(type_: str, payload: dict | None, urgent: bool) -> bool:
    """An alarm to a responder: a real alert, or a drill's alarm. A drill's messages are type "test"
    with `drill: true` (the contract), but its alarm must travel exactly as an alert does: that is
    what a drill tests. Its other messages (taken, over) go like acknowledgements."""
    return type_ == "alert" or bool(urgent and (payload or {}).get("drill"))


def is_own_test(type_: str, payload: dict | None) -> bool:
    """The user's own test message (confirm a phone number or address), not a drill's."""
    return type_ == "test" and not (payload or {}).get("drill")


def duress_to_worker(session: Session, alert_id: str | None, recipient_id: int) -> bool:
    """True if this would tell the worker about their own duress alarm (never allowed, on any channel)."""
    if not alert_id:
        return False
    # The alert is usually in this session already (created or claimed in this transaction).
    alert = next((o for o in session.new if isinstance(o, Alert) and o.id == alert_id), None)
    if alert is None:
        alert = session.get(Alert, alert_id)
    return alert is not None and alert.reason == "duress" and alert.worker_id == recipient_id


def level2_sms_policy(session: Session, alert_id: str | None, level) -> bool:
    """Does the alert's unit want an SMS for every level-2 alert (Unit.sms_for_level2)?"""
    if not alert_id or (level or 0) < 2:
        return False
    alert = session.get(Alert, alert_id)
    return bool(alert is not None and alert.unit is not None and alert.unit.sms_for_level2)


def push_delivered(session: Session, notification_id: str) -> bool:
    return session.execute(
        select(DeliveryAttempt.id).where(
            DeliveryAttempt.notification_id == notification_id, DeliveryAttempt.channel == "push",
            DeliveryAttempt.ok.is_(True),
        ).limit(1)
    ).first() is not None


# --- Delivery health (admin) -----------------------------------------------------------------------

@dataclass
class ChannelHealth:
    channel: str
    attempts: int
    failures: int
    pending: int
    last_failure: str
    last_failure_at: datetime | None


def delivery_health(session: Session, clock: Clock, *, hours: int = 24) -> list[ChannelHealth]:
    """Attempts and failures per channel in the last `hours`, with the latest failure's detail."""
    since = clock.now() - timedelta(hours=hours)
    rows = session.execute(
        select(DeliveryAttempt.channel, func.count(),
               func.sum(case((DeliveryAttempt.ok.is_(False), 1), else_=0)))
        .where(DeliveryAttempt.at >= since).group_by(DeliveryAttempt.channel)
    ).all()
    pending = dict(session.execute(
        select(OutboxEntry.channel, func.count()).where(OutboxEntry.state == "pending").group_by(OutboxEntry.channel)
    ).all())
    result = []
    names = sorted({r[0] for r in rows} | set(pending) | {"push", "sms", "email"})
    by_channel = {r[0]: (r[1], int(r[2] or 0)) for r in rows}
    for name in names:
        attempts, failures = by_channel.get(name, (0, 0))
        last = session.execute(
            select(DeliveryAttempt).where(
                DeliveryAttempt.channel == name, DeliveryAttempt.ok.is_(False), DeliveryAttempt.at >= since
            ).order_by(DeliveryAttempt.at.desc(), DeliveryAttempt.id.desc()).limit(1)
        ).scalar_one_or_none()
        result.append(ChannelHealth(name, attempts, failures, pending.get(name, 0),
                                    last.detail if last else "", last.at if last else None))
    return result


def recent_failures(session: Session, clock: Clock, *, hours: int = 24, limit: int = 50) -> list[DeliveryAttempt]:
    since = clock.now() - timedelta(hours=hours)
    return list(session.execute(
        select(DeliveryAttempt).where(DeliveryAttempt.ok.is_(False), DeliveryAttempt.at >= since)
        .order_by(DeliveryAttempt.at.desc(), DeliveryAttempt.id.desc()).limit(limit)
    ).scalars())
