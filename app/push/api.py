"""/api/v1/push: the VAPID public key, and a browser's push subscription in and out."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field

from app import audit, get_clock
from app.api import ApiError, endpoint, parse_body
from app.extensions import db, limiter
from app.keys import load_vapid_private_key, vapid_public_key_b64
from app.push import services

bp = Blueprint("push_api", __name__, url_prefix="/api/v1")


class VapidKey(BaseModel):
    key: str = Field(description="The VAPID public key: base64url of the uncompressed P-256 point "
                                 "(`applicationServerKey` for `pushManager.subscribe`)")


class SubscriptionKeys(BaseModel):
    p256dh: str = Field(min_length=80, max_length=128)
    auth: str = Field(min_length=16, max_length=64)


class SubscriptionIn(BaseModel):
    """A browser's `PushSubscription.toJSON()`."""

    model_config = ConfigDict(extra="ignore")
    endpoint: str = Field(min_length=10, max_length=2048)
    keys: SubscriptionKeys
    expirationTime: float | None = None  # noqa: N815 (the browser's name)


class SubscriptionOut(BaseModel):
    id: int
    endpoint: str
    device: str
    created_at: datetime
    updated_at: datetime | None


class Unsubscribe(BaseModel):
    endpoint: str = Field(min_length=1, max_length=2048)


def _out(sub) -> dict:
    return SubscriptionOut(
        id=sub.id, endpoint=sub.endpoint, device=services.device_name(sub.user_agent, sub.endpoint),
        created_at=sub.created_at, updated_at=sub.updated_at,
    ).model_dump(mode="json")


@endpoint(bp, "/push/vapid-public-key", "GET", "The VAPID public key for pushManager.subscribe",
          response=VapidKey)
def vapid_public_key():
    key = vapid_public_key_b64(load_vapid_private_key(current_app.config["VAPID_PRIVATE_KEY"]))
    return jsonify({"key": key})


@endpoint(bp, "/push/subscriptions", "POST",
          "Store this browser's push subscription: 201 when new; the same endpoint again updates its "
          "keys (and owner) and answers 200. 400 push_host_not_allowed when the endpoint's host is not "
          "in MAKKER_PUSH_ALLOWED_HOSTS.",
          body=SubscriptionIn, response=SubscriptionOut, status=201, errors=(400,),
          also={200: "This endpoint was already subscribed: its keys (and owner) updated"})
@limiter.limit("30 per minute", key_func=lambda: f"push-sub:{current_user.get_id()}")
def create_subscription():
    body = parse_body(SubscriptionIn)
    try:
        sub, created = services.subscribe(
            db.session, get_clock(), current_user, endpoint=body.endpoint, p256dh=body.keys.p256dh,
            auth=body.keys.auth, user_agent=request.headers.get("User-Agent", ""),
            allowed_hosts=current_app.config.get("PUSH_ALLOWED_HOSTS"),
        )
    except services.PushError as exc:
        db.session.rollback()
        message = {
            "push_host_not_allowed": _("Makker may not send to this push service."),
            "invalid_keys": _("The subscription's keys are not valid."),
        }.get(exc.code, exc.message)
        raise ApiError(exc.status, exc.code, message) from None
    if created:
        audit.record(db.session, "push.subscribe", actor_id=current_user.id, object_type="push_subscription",
                     object_id=sub.id, detail={"device": services.device_name(sub.user_agent, sub.endpoint)})
    db.session.commit()
    return jsonify(_out(sub)), 201 if created else 200


@endpoint(bp, "/push/subscriptions", "DELETE",
          "Remove this browser's push subscription (204, also when it was already gone)",
          body=Unsubscribe, status=204)
def delete_subscription():
    body = parse_body(Unsubscribe)
    if services.unsubscribe(db.session, current_user, body.endpoint):
        audit.record(db.session, "push.unsubscribe", actor_id=current_user.id, object_type="push_subscription")
    db.session.commit()
    return "", 204
