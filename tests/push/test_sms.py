"""The SMS channel against a fake GatewayAPI-style gateway: token, JSON body, when an SMS goes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.models import Unit
from app.push import services
from tests.push.conftest import FakeSmsGateway
from tests.push.helpers import add_sub, attempts, dispatch, entries, notify, people, raise_alert


@pytest.fixture
def push_config(sms_gateway):
    return {
        "NOTIFY_CHANNELS": ("push", "sms"),
        "SMS_URL": sms_gateway.url,
        "SMS_TOKEN": FakeSmsGateway.TOKEN,
        "SMS_SENDER": "Makker",
        "SMS_FALLBACK_DELAY_S": 30,
    }


def _no_level2_sms(ctx):
    for unit in ctx.query(Unit):
        unit.sms_for_level2 = False
    ctx.commit()


@pytest.mark.parametrize("phone, expected", [
    ("+45 20 11 22 01", "4520112201"), ("20112201", "4520112201"), ("0045 20-11-22-01", "4520112201"),
    ("+46 70 123 45 67", "46701234567"), ("", None), ("ring mig", None), ("112", None),
])
def test_msisdn(phone, expected):
    assert services.msisdn(phone) == expected


def test_alert_to_a_responder_without_push_goes_at_once(ctx, clock, sms_gateway):
    p = people(ctx)
    _no_level2_sms(ctx)
    alert = raise_alert(ctx, clock, p["anna"], p["bo"], reason="overdue")  # level 1: to the buddy
    [entry] = entries(ctx, "sms")
    assert entry.next_attempt_at == clock.now()
    dispatch(ctx, clock)
    [request] = sms_gateway.received
    assert request["headers"]["Authorization"] == "Token test-token-123"
    body = request["json"]
    assert body["sender"] == "Makker"
    assert body["recipients"] == [{"msisdn": 4520112202}]  # Bo: +45 20 11 22 02
    assert "Anna Jensen" in body["message"]
    assert f"https://makker.example/alerts/{alert.id}" in body["message"]
    assert "ALARM" in body["message"] or "Åbn" in body["message"]  # Danish, the recipient's locale
    assert len(body["message"]) <= 459
    [attempt] = attempts(ctx, "sms")
    assert attempt.ok and attempt.detail == "SMS sendt til +45 20 11 22 02"


def test_alert_to_a_responder_with_push_waits_and_is_skipped_when_push_was_delivered(ctx, clock, fake_push,
                                                                                       sms_gateway):
    p = people(ctx)
    _no_level2_sms(ctx)
    add_sub(ctx, clock, p["bo"], fake_push.new_subscription())
    raise_alert(ctx, clock, p["anna"], p["bo"], reason="overdue")
    [sms] = entries(ctx, "sms")
    assert sms.next_attempt_at == clock.now() + timedelta(seconds=30)
    dispatch(ctx, clock)
    assert len(fake_push.delivered()) == 1 and sms_gateway.received == []
    clock.advance(seconds=30)
    report = dispatch(ctx, clock)
    assert report.skipped == 1
    assert entries(ctx, "sms")[0].state == "skipped"
    assert sms_gateway.received == [] and attempts(ctx, "sms") == []  # no attempt on the alert's timeline


def test_sms_follows_when_the_push_failed(ctx, clock, fake_push, sms_gateway):
    p = people(ctx)
    _no_level2_sms(ctx)
    fsub = fake_push.new_subscription()
    add_sub(ctx, clock, p["bo"], fsub)
    fake_push.answer(fsub, 500, times=10)
    raise_alert(ctx, clock, p["anna"], p["bo"], reason="overdue")
    dispatch(ctx, clock)
    clock.advance(seconds=30)
    dispatch(ctx, clock)
    assert [m["recipients"] for m in sms_gateway.messages] == [[{"msisdn": 4520112202}]]


def test_level_2_alert_goes_by_sms_at_once_when_the_unit_wants_it(ctx, clock, fake_push, sms_gateway):
    p = people(ctx)
    for user in (p["bo"], p["lene"], p["ali"]):
        add_sub(ctx, clock, user, fake_push.new_subscription())
    raise_alert(ctx, clock, p["anna"], p["bo"], reason="sos")  # level 2 at once
    sms = entries(ctx, "sms")
    assert len(sms) == 3 and all(e.next_attempt_at == clock.now() for e in sms)
    dispatch(ctx, clock)
    numbers = sorted(m["recipients"][0]["msisdn"] for m in sms_gateway.messages)
    assert numbers == [4520112202, 4520112203, 4520112204]
    assert len(fake_push.delivered()) == 3  # push too


def test_user_without_sms_choice_gets_no_fallback_sms(ctx, clock, sms_gateway):
    p = people(ctx)
    _no_level2_sms(ctx)
    services.set_prefs(ctx, clock, p["bo"], push=True, sms=False, email=True)
    ctx.commit()
    raise_alert(ctx, clock, p["anna"], p["bo"], reason="overdue")
    assert entries(ctx, "sms") == []


def test_information_is_not_sent_by_sms(ctx, clock, sms_gateway):
    p = people(ctx)
    notify(ctx, clock, p["bo"], type="ack")
    notify(ctx, clock, p["bo"], type="incident")
    assert entries(ctx, "sms") == []


def test_gateway_busy_is_retried_and_refusal_is_not(ctx, clock, sms_gateway):
    p = people(ctx)
    _no_level2_sms(ctx)
    sms_gateway.plans = [(503, {"Retry-After": "20"})]
    raise_alert(ctx, clock, p["anna"], p["bo"], reason="overdue")
    assert dispatch(ctx, clock).retried == 1
    assert entries(ctx, "sms")[0].next_attempt_at == clock.now() + timedelta(seconds=20)
    clock.advance(seconds=20)
    assert dispatch(ctx, clock).sent == 1

    sms_gateway.plans = [(400, {})]
    notify(ctx, clock, p["lene"], type="alert", urgent=True, payload={"title": "x", "body": "y", "url": "/"})
    report = dispatch(ctx, clock)
    assert report.failed == 1 and report.retried == 0


def test_wrong_token_is_a_failure(app, ctx, clock, sms_gateway):
    app.config["SMS_TOKEN"] = "wrong"
    app.extensions.get("makker.channels", {}).clear()
    p = people(ctx)
    notify(ctx, clock, p["bo"], type="alert", urgent=True, payload={"title": "x", "body": "y", "url": "/"})
    report = dispatch(ctx, clock)
    assert report.failed == 1
    assert sms_gateway.received[0]["status"] == 401
    assert attempts(ctx, "sms")[0].status == 401


def test_test_message_carries_a_confirmation_link(ctx, clock, sms_gateway):
    p = people(ctx)
    notify(ctx, clock, p["bo"], type="test")
    dispatch(ctx, clock)
    [message] = sms_gateway.messages
    assert "https://makker.example/push/confirm/" in message["message"]


def test_no_sms_without_a_gateway(app, ctx, clock):
    app.config["SMS_URL"] = None
    app.extensions.get("makker.channels", {}).clear()
    p = people(ctx)
    raise_alert(ctx, clock, p["anna"], p["bo"], reason="sos")
    assert entries(ctx, "sms") == []
