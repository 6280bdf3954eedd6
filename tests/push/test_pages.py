"""The notifications card, send test, confirmation links, devices, the admin pages and /sw-push.js."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.models import MailSinkMessage, Notification, NotificationPrefs, OutboxEntry, PushSubscription
from app.notify import outbox
from tests.push.conftest import FakeSmsGateway

SUBS = "/api/v1/push/subscriptions"


@pytest.fixture
def push_config(sms_gateway):
    return {"SMS_URL": sms_gateway.url, "SMS_TOKEN": FakeSmsGateway.TOKEN, "SMTP_HOST": None}


def _dispatch(app, clock):
    from app.extensions import db

    with app.app_context():
        outbox.dispatch_due(db.session, clock)
        db.session.remove()


def test_settings_card(client, auth):
    auth.login("bo")
    html = client.get("/settings/").get_data(as_text=True)
    assert 'id="notifications"' in html and "data-push-card" in html
    assert "Notifikationer" in html and "Slå notifikationer til" in html
    assert "SMS til +45 20 11 22 02" in html and "ikke bekræftet" in html
    assert "Send test" in html
    assert "<script" not in html.split('id="notifications"')[1].split("</section>")[0]  # no inline script
    assert 'id="delivery-health"' not in html  # admins only


def test_card_lists_my_devices_only(client, auth, fake_push, make_client):
    auth.login("bo")
    auth.post(SUBS, json=fake_push.new_subscription().to_json())
    _, lene = make_client("lene")
    theirs = fake_push.new_subscription()
    lene.post(SUBS, json=theirs.to_json())
    html = client.get("/push/card", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert html.count("data-endpoint=") == 1 and theirs.endpoint not in html


def test_save_channels(client, auth, db):
    auth.login("bo")
    token = auth.form_token("/settings/")
    r = client.post("/push/channels", data={"csrf_token": token, "push": "y", "email": "y"},
                    headers={"HX-Request": "true"})
    assert r.status_code == 200 and "Dine valg for notifikationer er gemt" in r.get_data(as_text=True)
    with db as session:
        prefs = session.execute(select(NotificationPrefs)).scalar_one()
        assert (prefs.push_enabled, prefs.sms_enabled, prefs.email_enabled) == (True, False, True)
    assert client.post("/push/channels", data={"push": "y"}).status_code == 400  # CSRF


def test_send_test_then_confirm_phone_and_email(app, client, auth, db, clock, sms_gateway, fake_push):
    auth.login("bo")
    auth.post(SUBS, json=fake_push.new_subscription().to_json())
    token = auth.form_token("/settings/")
    r = client.post("/push/test", data={"csrf_token": token}, headers={"HX-Request": "true"})
    html = r.get_data(as_text=True)
    assert "Test sendt med push, SMS, e-mail" in html
    with db as session:
        n = session.execute(select(Notification).where(Notification.type == "test")).scalar_one()
        channels = sorted(session.execute(select(OutboxEntry.channel).where(
            OutboxEntry.notification_id == n.id)).scalars())
        assert channels == ["email", "log", "push", "sms"]
    _dispatch(app, clock)
    assert [r.payload["type"] for r in fake_push.delivered()] == ["test"]
    [sms] = sms_gateway.messages
    sms_link = re.search(r"https://makker\.example(/push/confirm/\S+)", sms["message"]).group(1)
    with db as session:
        mail = session.execute(select(MailSinkMessage)).scalar_one()
        mail_link = re.search(r"https://makker\.example(/push/confirm/\S+)", mail.body).group(1)
    # The link opens a page with one button (a GET changes nothing).
    page = client.get(sms_link)
    assert page.status_code == 200 and "Ja, den nåede frem" in page.get_data(as_text=True)
    with db as session:
        prefs = session.execute(select(NotificationPrefs)).scalar_one_or_none()
        assert prefs is None or prefs.phone_confirmed_at is None
    form = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
    done = client.post(sms_link, data={"csrf_token": form})
    assert "Dit telefonnummer er bekræftet" in done.get_data(as_text=True)
    client.post(mail_link, data={"csrf_token": form})
    with db as session:
        prefs = session.execute(select(NotificationPrefs)).scalar_one()
        assert prefs.phone_confirmed_at is not None and prefs.email_confirmed_at is not None
    html = client.get("/settings/").get_data(as_text=True)
    assert html.count(">bekræftet<") == 2
    # A forged or altered link confirms nothing.
    assert client.post(sms_link[:-3] + "xyz", data={"csrf_token": form}).status_code == 404


def test_confirmation_lapses_when_the_number_changes(client, auth, db, clock):
    from app.push import services

    auth.login("bo")
    with db as session:
        from app.admin.services import find_user

        bo = find_user(session, "bo")
        token = services.confirm_token("test-secret", bo.id, "sms", bo.phone)
        bo.phone = "+45 99 99 99 99"
        session.commit()
    form = auth.form_token("/settings/")
    r = client.post(f"/push/confirm/{token}", data={"csrf_token": form})
    assert r.status_code == 400 and "ændret siden testen" in r.get_data(as_text=True)


def test_send_test_without_any_channel(app, client, auth, db):
    auth.login("bo")
    token = auth.form_token("/settings/")
    client.post("/push/channels", data={"csrf_token": token}, headers={"HX-Request": "true"})
    r = client.post("/push/test", data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert "Ingen kanal er slået til" in r.get_data(as_text=True)


def test_remove_device(client, auth, db, fake_push, make_client):
    auth.login("bo")
    sub_id = auth.post(SUBS, json=fake_push.new_subscription().to_json()).get_json()["id"]
    _, lene = make_client("lene")
    lene_id = lene.post(SUBS, json=fake_push.new_subscription().to_json()).get_json()["id"]
    token = auth.form_token("/settings/")
    assert client.post(f"/push/devices/{lene_id}/remove", data={"csrf_token": token}).status_code == 404
    r = client.post(f"/push/devices/{sub_id}/remove", data={"csrf_token": token})
    assert r.status_code == 302
    with db as session:
        assert [s.id for s in session.execute(select(PushSubscription)).scalars()] == [lene_id]


def test_health_and_mail_sink_are_for_admins(app, client, auth, clock, make_client):
    auth.login("bo")
    assert client.get("/push/health").status_code == 403
    assert client.get("/push/outbox-mail").status_code == 403
    # A failed delivery shows up on the admin's page and card.
    from app.admin.services import find_user
    from app.extensions import db

    with app.app_context():
        lene = find_user(db.session, "lene")
        outbox.enqueue(db.session, clock, lene, type="incident", step_key="s1", tag="incident-1",
                       payload={"title": "Ny hændelse", "body": "b", "url": "/incidents/1"})
        db.session.add(PushSubscription(user_id=lene.id, endpoint="https://fcm.googleapis.com/fcm/send/x",
                                        p256dh="x", auth="y", user_agent="", created_at=clock.now(),
                                        last_failure=""))
        db.session.commit()
        app.config["PUSH_ALLOWED_HOSTS"] = ()
        outbox.enqueue(db.session, clock, lene, type="ack", step_key="s2", tag="t2",
                       payload={"title": "t", "body": "b", "url": "/"})
        db.session.commit()
        outbox.dispatch_due(db.session, clock)
        db.session.remove()
    admin, _ = make_client("admin")
    settings = admin.get("/settings/").get_data(as_text=True)
    assert 'id="delivery-health"' in settings
    page = admin.get("/push/health").get_data(as_text=True)
    assert "Leveringsstatus" in page and "afvist" in page and "lokal postkasse" in page
    sink = admin.get("/push/outbox-mail").get_data(as_text=True)
    assert "Makker: Ny hændelse" in sink and "lene@jobcenter-nord.example" in sink
    message_id = re.search(r"/push/outbox-mail/(\d+)", sink).group(1)
    one = admin.get(f"/push/outbox-mail/{message_id}").get_data(as_text=True)
    assert "https://makker.example/incidents/1" in one
    assert admin.get("/push/outbox-mail/999999").status_code == 404


def test_service_worker_push_script(client):
    r = client.get("/sw-push.js")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/javascript")
    assert r.headers["Cache-Control"] == "no-cache"
    text = r.get_data(as_text=True)
    for needle in ('addEventListener("push"', 'addEventListener("notificationclick"', "requireInteraction",
                   "renotify", "/api/v1/me", "?ack=1"):
        assert needle in text
