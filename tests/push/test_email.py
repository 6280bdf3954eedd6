"""The e-mail channel against a local aiosmtpd server, and the local mail sink without SMTP."""

from __future__ import annotations

import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from app.models import MailSinkMessage
from tests.push.helpers import attempts, dispatch, entries, notify, people, raise_alert


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append({"from": envelope.mail_from, "to": envelope.rcpt_tos, "mail": mail,
                              "data": f"Subject: {mail['Subject']}\n{mail.get_content()}",
                              "headers": dict(mail.items()), "authenticated": session.authenticated})
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"makker" and auth_data.password == b"hemmelig"
    return AuthResult(success=ok)


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(), authenticator=_authenticate,
                            auth_require_tls=False)
    controller.start()
    controller.inbox = inbox
    yield controller
    controller.stop()


@pytest.fixture
def push_config(request):
    if "smtp_server" in request.fixturenames:
        server = request.getfixturevalue("smtp_server")
        return {"NOTIFY_CHANNELS": ("email",), "SMTP_HOST": "127.0.0.1", "SMTP_PORT": server.port,
                "SMTP_STARTTLS": False, "SMTP_USER": "makker", "SMTP_PASSWORD": "hemmelig",
                "SMTP_FROM": "Makker <alarm@makker.example>"}
    return {"NOTIFY_CHANNELS": ("email",), "SMTP_HOST": None}


def test_alert_by_smtp(ctx, clock, smtp_server):
    p = people(ctx)
    alert = raise_alert(ctx, clock, p["anna"], p["bo"], reason="sos")
    dispatch(ctx, clock)
    mails = smtp_server.inbox.messages
    assert sorted(m["to"][0] for m in mails) == [
        "ali@jobcenter-nord.example", "bo@jobcenter-nord.example", "lene@jobcenter-nord.example"]
    mail = next(m for m in mails if m["to"] == ["bo@jobcenter-nord.example"])
    assert mail["from"] == "alarm@makker.example"
    assert "Subject: Makker: " in mail["data"] and "Anna Jensen" in mail["data"]
    assert f"https://makker.example/alerts/{alert.id}" in mail["data"]
    assert mail["headers"]["Importance"] == "high" and mail["authenticated"]
    assert all(a.ok and a.status == 250 for a in attempts(ctx, "email"))


def test_incident_by_smtp_and_information_not(ctx, clock, smtp_server):
    p = people(ctx)
    notify(ctx, clock, p["lene"], type="incident",
           payload={"title": "Ny hændelse", "body": "Trussel", "url": "/incidents/1"})
    notify(ctx, clock, p["lene"], type="ack")
    dispatch(ctx, clock)
    [mail] = smtp_server.inbox.messages
    assert "Ny h" in mail["data"] and "https://makker.example/incidents/1" in mail["data"]


def test_smtp_down_is_retried(app, ctx, clock):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=_free_port(), SMTP_STARTTLS=False)
    app.extensions.get("makker.channels", {}).clear()
    p = people(ctx)
    notify(ctx, clock, p["bo"], type="alert", urgent=True, payload={"title": "x", "body": "y", "url": "/"})
    assert dispatch(ctx, clock).retried == 1
    assert "ConnectionRefused" in attempts(ctx, "email")[0].detail


def test_without_smtp_mail_goes_to_the_local_sink(ctx, clock):
    p = people(ctx)
    alert = raise_alert(ctx, clock, p["anna"], p["bo"], reason="sos")
    dispatch(ctx, clock)
    kept = list(ctx.execute(select(MailSinkMessage).order_by(MailSinkMessage.to_addr)).scalars())
    assert [m.to_addr for m in kept] == [
        "ali@jobcenter-nord.example", "bo@jobcenter-nord.example", "lene@jobcenter-nord.example"]
    assert f"/alerts/{alert.id}" in kept[1].body and kept[1].subject.startswith("Makker: ")
    assert all(e.state == "sent" for e in entries(ctx, "email"))
    assert "lokale postkasse" in attempts(ctx, "email")[0].detail


def test_duress_alarm_never_mailed_to_the_worker(ctx, clock):
    p = people(ctx)
    alert = raise_alert(ctx, clock, p["anna"], p["bo"], reason="duress")
    notify(ctx, clock, p["anna"], type="alert", alert_id=alert.id, payload={"title": "x", "body": "y", "url": "/"})
    dispatch(ctx, clock)
    to = [m.to_addr for m in ctx.execute(select(MailSinkMessage)).scalars()]
    assert "anna@jobcenter-nord.example" not in to and "bo@jobcenter-nord.example" in to
