"""HTTP tests of /api/v1/push (SQLite and, with MAKKER_TEST_DATABASE_URL, PostgreSQL)."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from app.models import AuditEntry, PushSubscription
from app.push.services import endpoint_allowed
from tests.push.conftest import VAPID_PEM
from tests.push.helpers import UA_ANDROID

SUBS = "/api/v1/push/subscriptions"


def _subs(db):
    with db as session:
        return [(s.user.username, s.endpoint, s.p256dh, s.auth) for s in
                session.execute(select(PushSubscription).order_by(PushSubscription.id)).scalars()]


def test_vapid_public_key(client, auth):
    assert client.get("/api/v1/push/vapid-public-key").status_code == 401
    auth.login()
    key = client.get("/api/v1/push/vapid-public-key").get_json()["key"]
    raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    assert len(raw) == 65 and raw[0] == 4 and "=" not in key
    from app.keys import load_vapid_private_key, vapid_public_key_b64

    assert key == vapid_public_key_b64(load_vapid_private_key(VAPID_PEM))


def test_subscribe_then_same_endpoint_updates(client, auth, db, fake_push):
    auth.login("bo")
    sub = fake_push.new_subscription()
    r = client.post(SUBS, json=sub.to_json(), headers={**auth.headers(), "User-Agent": UA_ANDROID})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["endpoint"] == sub.endpoint and body["device"] == "Chrome, Android"
    newer = fake_push.new_subscription()  # the browser rotated its keys, same endpoint
    again = {**sub.to_json(), "keys": newer.to_json()["keys"]}
    r = auth.post(SUBS, json=again)
    assert r.status_code == 200 and r.get_json()["id"] == body["id"]
    assert _subs(db) == [("bo", sub.endpoint, newer.p256dh, newer.auth)]
    with db as session:
        assert session.execute(select(AuditEntry).where(AuditEntry.action == "push.subscribe")).first()


def test_endpoint_moves_to_whoever_signs_in_on_that_browser(client, auth, db, fake_push, make_client):
    sub = fake_push.new_subscription()
    auth.login("bo")
    assert auth.post(SUBS, json=sub.to_json()).status_code == 201
    _, lene = make_client("lene")
    assert lene.post(SUBS, json=sub.to_json()).status_code == 200
    assert [s[0] for s in _subs(db)] == ["lene"]


@pytest.mark.parametrize("endpoint", [
    "https://evil.example/push/1",                   # not on the list
    "http://fcm.googleapis.com/fcm/send/abc",        # https required for hosts without a port
    "https://fcm.googleapis.com:8443/fcm/send/abc",  # other port
    "https://user:pw@fcm.googleapis.com/fcm/send/1",  # userinfo
    "https://169.254.169.254/latest/meta-data",      # the classic SSRF target
    "http://127.0.0.1:1/x",                          # local, but not the allowed port
    "file:///etc/passwd",
    "https://fcm.googleapis.com.evil.example/x",
])
def test_push_host_not_allowed(client, auth, db, fake_push, endpoint):
    auth.login()
    body = {**fake_push.new_subscription().to_json(), "endpoint": endpoint}
    r = auth.post(SUBS, json=body)
    assert r.status_code == 400
    assert r.get_json()["error"] == "push_host_not_allowed" and r.get_json()["message"]
    assert _subs(db) == []


def test_allowed_hosts_and_wildcards(client, auth, fake_push):
    auth.login()
    keys = fake_push.new_subscription().to_json()["keys"]
    for endpoint in ("https://fcm.googleapis.com/fcm/send/a1", "https://db5p.notify.windows.com/w/?token=x",
                     fake_push.new_subscription().endpoint):
        assert auth.post(SUBS, json={"endpoint": endpoint, "keys": keys}).status_code == 201, endpoint


def test_endpoint_allowed_rules():
    allowed = ("fcm.googleapis.com", "*.notify.windows.com", "127.0.0.1:8999", "*.push.apple.com")
    assert endpoint_allowed("https://fcm.googleapis.com/x", allowed)
    assert endpoint_allowed("https://fcm.googleapis.com:443/x", allowed)
    assert endpoint_allowed("https://a.b.notify.windows.com/x", allowed)
    assert endpoint_allowed("https://web.push.apple.com/x", allowed)
    assert not endpoint_allowed("https://notify.windows.com/x", allowed)  # the bare suffix is no subdomain
    assert not endpoint_allowed("https://evilnotify.windows.com/x", allowed)
    assert endpoint_allowed("http://127.0.0.1:8999/x", allowed)
    assert endpoint_allowed("https://127.0.0.1:8999/x", allowed)
    assert not endpoint_allowed("http://127.0.0.1/x", allowed)
    assert not endpoint_allowed("http://127.0.0.1:9000/x", allowed)
    assert not endpoint_allowed("https://fcm.googleapis.com:99999/x", allowed)
    assert not endpoint_allowed("not a url", allowed)
    assert not endpoint_allowed("https://fcm.googleapis.com/x", ())


@pytest.mark.parametrize("keys", [
    {"p256dh": "A" * 87, "auth": "B" * 22},  # not a point on the curve
    {"p256dh": "B" + "A" * 86, "auth": "AAAAAAAAAAAAAAAAAAAAAA"},
])
def test_invalid_keys(client, auth, fake_push, keys):
    auth.login()
    r = auth.post(SUBS, json={"endpoint": fake_push.new_subscription().endpoint, "keys": keys})
    assert r.status_code == 400 and r.get_json()["error"] == "invalid_keys"


@pytest.mark.parametrize("body", [{}, {"endpoint": "https://fcm.googleapis.com/x"}, {"keys": {}}, []])
def test_malformed_body_is_400(client, auth, body):
    auth.login()
    r = auth.post(SUBS, json=body)
    assert r.status_code == 400 and r.get_json()["error"] in ("invalid", "invalid_json")


def test_state_changes_need_sign_in_and_csrf(client, auth, fake_push, db):
    sub = fake_push.new_subscription()
    assert client.post(SUBS, json=sub.to_json()).status_code in (400, 401)
    auth.login()
    r = client.post(SUBS, json=sub.to_json())  # no X-CSRFToken
    assert r.status_code == 400
    assert _subs(db) == []


def test_delete_subscription(client, auth, db, fake_push, make_client):
    mine, theirs = fake_push.new_subscription(), fake_push.new_subscription()
    auth.login("bo")
    auth.post(SUBS, json=mine.to_json())
    _, lene = make_client("lene")
    lene.post(SUBS, json=theirs.to_json())
    # Bo cannot remove Lene's subscription (answered like "already gone").
    assert auth.delete(SUBS, json={"endpoint": theirs.endpoint}).status_code == 204
    assert auth.delete(SUBS, json={"endpoint": mine.endpoint}).status_code == 204
    assert auth.delete(SUBS, json={"endpoint": mine.endpoint}).status_code == 204  # idempotent
    assert [s[0] for s in _subs(db)] == ["lene"]
    assert auth.delete(SUBS, json={}).status_code == 400


def test_openapi_lists_the_push_endpoints(client, auth):
    doc = client.get("/api/v1/openapi.json").get_json()
    paths = doc["paths"]
    assert "get" in paths["/api/v1/push/vapid-public-key"]
    assert {"post", "delete"} <= set(paths["/api/v1/push/subscriptions"])
