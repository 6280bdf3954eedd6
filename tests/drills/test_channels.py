"""A drill travels the real channels: Web Push (decrypted by a fake push service, as a phone would),
SMS through a fake gateway, e-mail into the local sink; every one says ØVELSE and none is the
user's own "test my phone" message."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.drills import results
from app.models import MailSinkMessage
from tests.drills.helpers import ACK, start, tick, who
from tests.push.conftest import FakeSmsGateway, ctx, fake_push, sms_gateway  # noqa: F401 (fixtures)
from tests.push.conftest import app_config as push_app_config  # noqa: F401 (fixture)
from tests.push.helpers import add_sub, dispatch

app_config = push_app_config


@pytest.fixture
def push_config(sms_gateway):  # noqa: F811
    return {"NOTIFY_CHANNELS": ("push", "sms", "email"), "SMS_URL": sms_gateway.url,
            "SMS_TOKEN": FakeSmsGateway.TOKEN, "SMS_FALLBACK_DELAY_S": 30}


def test_a_drill_alarm_is_pushed_texted_and_mailed_as_a_drill(ctx, clock, fake_push, sms_gateway):  # noqa: F811
    phone = fake_push.new_subscription()
    add_sub(ctx, clock, who(ctx, "bo"), phone)
    drill = start(ctx, clock, username="bo")
    dispatch(ctx, clock)

    [push] = fake_push.for_sub(phone)
    payload = push.payload
    assert (payload["type"], payload["drill"], payload["level"]) == ("test", True, 1)
    assert payload["title"] == "ØVELSE: alarmtest fra Lene Holm"
    assert "Ingen er i fare" in payload["body"] and payload["actions"] == ["ack"]
    assert push.urgency == "high" and push.ttl >= 3600  # travels like an alert
    [mail] = ctx.execute(select(MailSinkMessage)).scalars().all()
    assert mail.subject == "Makker: ØVELSE: alarmtest fra Lene Holm"
    assert "Ingen er i fare" in mail.body and "/push/confirm/" not in mail.body
    assert sms_gateway.messages == []  # level 1 with push: SMS only as a fallback after 30 s...

    clock.advance(30)
    dispatch(ctx, clock)
    assert sms_gateway.messages == []  # ...and push was delivered, so it is skipped, as for an alert

    clock.advance(ACK - 30)
    tick(ctx, clock)  # level 2: the unit wants an SMS for every level-2 alert
    [sms] = sms_gateway.messages
    assert sms["message"].startswith("Makker: ØVELSE, stadig ikke taget: alarmtest fra Lene Holm")
    assert "bekræft" not in sms["message"].lower()  # not the phone number's own test
    assert sms["recipients"] == [{"msisdn": 4520112202}]

    [person] = results.result(ctx, drill).people
    assert set(person.messages[0].left) == {"push", "email"} and set(person.messages[1].left) == {"push", "sms", "email"}
    assert person.sent_at == drill.created_at and person.delivered_at is None and person.acked_at is None

    clock.advance(ACK)
    tick(ctx, clock)  # over: bo is told on the same tag; an SMS or e-mail for that is not worth it
    over = [r for r in fake_push.for_sub(phone) if r.payload.get("title", "").startswith("ØVELSE slut")]
    assert len(over) == 1 and over[0].payload["tag"] == payload["tag"] and over[0].urgency == "normal"
    assert len(sms_gateway.messages) == 1 and len(ctx.execute(select(MailSinkMessage)).scalars().all()) == 2
