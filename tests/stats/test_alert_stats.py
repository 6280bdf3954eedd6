"""Alert statistics from a seeded month of alerts, against a table computed by hand.

The month is March 2026 in Copenhagen time (UTC+1, and UTC+2 from 29 March). Ten alerts of Jobcenter
Nord belong to it, two of them on its edges; outside it: one just before, one just after, one of
another unit and a drill.

| # | reason  | raised (UTC)     | first delivery | acknowledged | outcome     | escalated to 2 |
|---|---------|------------------|----------------|--------------|-------------|----------------|
| 1 | overdue | 28 Feb 23:30     | 1 s            | 8 s          | safe        |                |
| 2 | overdue | 3 Mar 10:00      | 2 s            | 45 s         | false alarm | yes            |
| 3 | sos     | 5 Mar 10:00      | 1 s            | 12 s         | incident    | (starts at 2)  |
| 4 | overdue | 8 Mar 10:00      | 3 s (log 0 s)  | –            | safe        |                |
| 5 | duress  | 10 Mar 10:00     | 5 s            | 30 s         | safe        | (starts at 2)  |
| 6 | overdue | 12 Mar 10:00     | 2 s            | 200 s        | false alarm | yes            |
| 7 | sos     | 15 Mar 10:00     | – (failed; an "ack" message left) | 60 s | not resolved | (starts at 2) |
| 8 | overdue | 20 Mar 10:00     | 4 s            | 10 s         | false alarm |                |
| 9 | overdue | 29 Mar 10:00     | 1 s            | –            | not resolved| yes            |
|10 | sos     | 31 Mar 21:30     | 1 s            | 5 s          | safe        | (starts at 2)  |

Acknowledged, sorted (n = 8): 5 8 10 12 30 45 60 200. Nearest rank: p50 = rank ceil(4) = 4 -> 12;
p80 = rank ceil(6.4) = 7 -> 60; p98.5 = rank ceil(7.88) = 8 -> 200. Within 10 s: 3/8; within 40 s: 5/8.
First delivery, sorted (n = 9): 1 1 1 1 2 2 3 4 5. p50 = rank 5 -> 2; p80 = rank ceil(7.2) = 8 -> 4;
p98.5 = rank ceil(8.865) = 9 -> 5. Within 10 s and 40 s: 9/9.
By reason 6/3/1; by outcome safe 4, false alarm 3, incident 1, not resolved 2; escalated 3 (#2, #6,
#9); nobody acknowledged 2 (#4, #9); false-alarm share 3 / 8 decided = 0.375."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from app.admin import services as admin
from app.clock import SystemClock
from app.extensions import db as _db
from app.models import Alert, DeliveryAttempt, Drill, Notification, OutboxEntry, Unit
from app.stats.services import percentile

EXPECTED_NORD = {
    "month": "2026-03", "unit": "Jobcenter Nord", "alerts": 10,
    "by_reason": {"overdue": 6, "sos": 3, "duress": 1},
    "by_outcome": {"safe": 4, "false_alarm": 3, "incident": 1, "unresolved": 2},
    "ack_seconds": {"p50": 12.0, "p80": 60.0, "p98_5": 200.0},
    "delivery_seconds": {"p50": 2.0, "p80": 4.0, "p98_5": 5.0},
    "escalated": 3, "unacknowledged": 2, "false_alarm_share": 0.375,
    "ack_within": {"10": 0.375, "40": 0.625}, "delivery_within": {"10": 1.0, "40": 1.0},
}

T = datetime(2026, 3, 1, tzinfo=UTC)
SEED = [  # reason, raised, delivery s (None: never), ack s, outcome, level, escalated
    ("overdue", datetime(2026, 2, 28, 23, 30, tzinfo=UTC), 1, 8, "safe", 1, False),
    ("overdue", T + timedelta(days=2, hours=10), 2, 45, "false_alarm", 2, True),
    ("sos", T + timedelta(days=4, hours=10), 1, 12, "incident", 2, None),
    ("overdue", T + timedelta(days=7, hours=10), 3, None, "safe", 1, False),
    ("duress", T + timedelta(days=9, hours=10), 5, 30, "safe", 2, None),
    ("overdue", T + timedelta(days=11, hours=10), 2, 200, "false_alarm", 2, True),
    ("sos", T + timedelta(days=14, hours=10), None, 60, None, 2, None),
    ("overdue", T + timedelta(days=19, hours=10), 4, 10, "false_alarm", 1, False),
    ("overdue", T + timedelta(days=28, hours=10), 1, None, None, 2, True),
    ("sos", datetime(2026, 3, 31, 21, 30, tzinfo=UTC), 1, 5, "safe", 2, None),
]


def _alert(session, worker, unit_id, reason, raised, delivery, ack, outcome, level, escalated, drill_id=None):
    alert = Alert(id=str(uuid.uuid4()), worker_id=worker.id, unit_id=unit_id, reason=reason, level=level,
                  state="resolved" if outcome else ("acknowledged" if ack is not None else "open"),
                  created_at=raised, escalations=0, note="", outcome=outcome, drill_id=drill_id,
                  escalated_at=raised if escalated is None else (raised + timedelta(seconds=120) if escalated else None),
                  acknowledged_at=raised + timedelta(seconds=ack) if ack is not None else None,
                  resolved_at=raised + timedelta(minutes=10) if outcome else None)
    session.add(alert)
    session.flush()
    _message(session, alert, worker, "alert", "push", raised + timedelta(seconds=delivery) if delivery is not None
             else raised + timedelta(seconds=1), ok=delivery is not None)
    if reason == "overdue" and ack is None and outcome:  # the operators' log is faster, and never counts
        _message(session, alert, worker, "alert", "log", raised, ok=True, key="log")
    if delivery is None:  # only the later "X took it" message left: not a delivery of the alarm
        _message(session, alert, worker, "ack", "push", raised + timedelta(seconds=ack + 1), ok=True)
    return alert


def _message(session, alert, recipient, type_, channel, at, *, ok, key=""):
    note = Notification(id=str(uuid.uuid4()), recipient_id=recipient.id, type=type_, step_key=f"{alert.id}:{type_}{key}",
                        tag="t", payload={}, alert_id=alert.id, urgent=type_ == "alert", created_at=alert.created_at,
                        due_at=alert.created_at)
    session.add(note)
    session.flush()
    entry = OutboxEntry(notification_id=note.id, channel=channel, state="sent" if ok else "failed",
                        attempts=1, next_attempt_at=at)
    session.add(entry)
    session.flush()
    session.add(DeliveryAttempt(outbox_id=entry.id, notification_id=note.id, alert_id=alert.id,
                                recipient_id=recipient.id, channel=channel, at=at, ok=ok, detail=""))


@pytest.fixture
def seeded(app):
    with app.app_context():
        session = _db.session
        anna = admin.find_user(session, "anna")
        nord = anna.unit_id
        for row in SEED:
            _alert(session, anna, nord, *row)
        # Outside: just before and just after the month (local time), another unit, a drill.
        _alert(session, anna, nord, "sos", datetime(2026, 2, 28, 22, 30, tzinfo=UTC), 1, 1, "safe", 2, None)
        _alert(session, anna, nord, "sos", datetime(2026, 3, 31, 22, 30, tzinfo=UTC), 1, 1, "safe", 2, None)
        south = Unit(name="Jobcenter Syd")
        session.add(south)
        session.flush()
        dina = admin.create_user(session, SystemClock(), username="dina", name="Dina Berg", password="demo",
                                 role="staff", unit=south)
        _alert(session, dina, south.id, "sos", T + timedelta(days=3), 1, 1, "safe", 2, None)
        drill = Drill(id=str(uuid.uuid4()), unit_id=nord, started_by_id=admin.find_user(session, "lene").id,
                      kind="person", created_at=T + timedelta(days=6), stop_reason="")
        session.add(drill)
        session.flush()
        _alert(session, anna, nord, "overdue", T + timedelta(days=6), 1, 1, None, 1, False, drill_id=drill.id)
        session.commit()
        return south.id


def test_the_month_matches_the_table_computed_by_hand(seeded, auth):
    auth.login("ali")  # the unit's AMR
    answer = auth._client.get("/api/v1/stats/alerts?month=2026-03")
    assert answer.status_code == 200
    assert answer.get_json() == EXPECTED_NORD


def test_an_administrator_sees_every_unit_or_one(seeded, auth):
    auth.login("admin")
    every = auth._client.get("/api/v1/stats/alerts?month=2026-03").get_json()
    assert every["unit"] is None and every["alerts"] == 11 and every["by_reason"]["sos"] == 4
    south = auth._client.get(f"/api/v1/stats/alerts?month=2026-03&unit={seeded}").get_json()
    assert south["alerts"] == 1 and south["unit"] == "Jobcenter Syd"


@pytest.mark.parametrize("month", ["2026-13", "2026-3", "26-03", "march", "1899-12", "2026-00", "2026-03-01"])
def test_a_bad_month_is_a_400_with_the_contracts_error(auth, month):
    auth.login("lene")
    answer = auth._client.get(f"/api/v1/stats/alerts?month={month}")
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "invalid_month" and "ÅÅÅÅ-MM" in answer.get_json()["message"]


def test_only_leaders_amrs_and_administrators(seeded, auth):
    auth.login("bo")
    assert auth._client.get("/api/v1/stats/alerts?month=2026-03").status_code == 403
    assert auth._client.get("/stats/alerts?month=2026-03").status_code == 403
    auth.logout()
    auth.login("lene")
    assert auth._client.get(f"/api/v1/stats/alerts?month=2026-03&unit={seeded}").status_code == 403
    assert auth._client.get("/api/v1/stats/alerts?month=2026-03&unit=x").status_code == 400


def test_the_page_shows_the_chart_its_table_and_the_csv(seeded, auth):
    auth.login("lene")
    page = auth._client.get("/stats/alerts?month=2026-03").get_data(as_text=True)
    assert "Marts 2026" in page and "10 alarmer" in page
    assert '<svg class="stats-chart"' in page and 'role="img"' in page and "<desc" in page
    assert "Taget inden for 10 s: 38 %" in page  # the description a screen reader reads
    assert "<table" in page and '<td class="num">60 s</td>' in page  # p80 of the acknowledgements
    assert '<td class="num">3,3 min</td>' in page and "98,5 %" in page  # p98.5: 200 s
    csv_answer = auth._client.get("/stats/alerts.csv?month=2026-03")
    assert csv_answer.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(csv_answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 11 and rows[0][0] == "Udløst"
    assert "Anna" not in csv_answer.get_data(as_text=True)  # no names
    assert [r[7] for r in rows[1:]] == ["8", "45", "12", "", "30", "200", "60", "10", "", "5"]
    bad = auth._client.get("/stats/alerts?month=2026-13")
    assert bad.status_code == 302  # back to this month, with the message


@pytest.mark.parametrize("values, p, expected", [
    ([], Fraction(1, 2), None),
    ([7.0], Fraction(197, 200), 7.0),
    ([3.0, 1.0, 2.0], Fraction(1, 2), 2.0),
    ([1.0, 2.0, 3.0, 4.0], Fraction(1, 2), 2.0),  # rank ceil(2) = 2, not an interpolation
    (list(range(1, 201)), Fraction(197, 200), 197),  # exactly rank 197, no floating-point 198
    (list(range(1, 11)), Fraction(4, 5), 8),
])
def test_nearest_rank_percentiles(values, p, expected):
    assert percentile(values, p) == expected
