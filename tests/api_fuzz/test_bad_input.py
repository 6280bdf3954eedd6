"""The contract's classes of bad input, sent on purpose to every operation that takes them (the fuzzer
finds most of them by chance; these make sure): wrong types, huge strings, missing and extra fields,
invalid UUIDs, out-of-range minutes, timestamps without offset or out of range, NaN/Infinity, nested
garbage, NUL bytes and lone surrogates, bodies that are not JSON objects. Each is sent through
schemathesis as anna (signed in, CSRF token, real visit/alert/incident ids) and must pass the same
checks as the fuzzing: no 5xx, documented status and schema, the contract's error shape."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from tests.api_fuzz.conftest import signed_in
from tests.api_fuzz.fuzzing import CHECKS, Caller, load_schema

NOW = "2026-11-26T10:00:00+01:00"
UUID = "0b6f3d2e-9c4a-4d7e-8f1a-2b3c4d5e6f70"

DEEP = "[" * 100_000 + "]" * 100_000  # under MAX_CONTENT_LENGTH, deeper than any JSON parser recursion
DEEP_OBJECT = '{"a":' * 20_000 + "1" + "}" * 20_000
HUGE = "x" * 300_000  # over MAX_CONTENT_LENGTH (256 KiB)
LONG = "x" * 100_000  # under it, over every max_length

# Raw JSON texts (json.dumps cannot write these): NaN, Infinity, a lone surrogate, a NUL byte.
RAW_BODIES = {
    "nan": '{"lat": NaN, "lon": NaN, "accuracy": NaN, "minutes": NaN, "expirationTime": NaN}',
    "infinity": '{"lat": Infinity, "lon": -Infinity, "accuracy": Infinity, "minutes": Infinity}',
    "surrogate": '{"place": "\\ud800", "note": "\\udfff", "body": "\\ud83d", "description": "\\ud800x",'
                 ' "buddy": "\\ud800", "name": "\\ud800", "phone": "\\ud800", "endpoint": "https://\\ud800.example/x",'
                 ' "pin": "\\ud800", "outcome": "safe", "action_id": "\\ud800"}',
    "nul": '{"place": "a\\u0000b", "note": "\\u0000", "body": "\\u0000", "buddy": "b\\u0000o",'
           ' "description": "\\u0000", "action_id": "\\u0000", "endpoint": "https://fcm.googleapis.com/\\u0000"}',
    "deep_array": DEEP,
    "deep_object": DEEP_OBJECT,
    "not_json": "{'place': 'single quotes'}",
    "truncated": '{"place": "Vester',
    "latin1": b'{"place": "\xe6\xf8\xe5"}',
    "bom": "\ufeff{}",
    "huge": json.dumps({"place": HUGE, "description": HUGE, "note": HUGE, "body": HUGE}),
}

# JSON values for every body field the API takes, each wrong in one of the contract's ways.
VALUE_BODIES = {
    "null": None,
    "list": [],
    "string": "garbage",
    "number": 42,
    "empty_object": {},
    "wrong_types": {"id": 5, "planned_end": True, "buddy": ["bo"], "place": {"a": 1}, "minutes": "ten",
                    "lat": "north", "lon": [], "pin": 1234, "outcome": 1, "note": None, "kind": 3,
                    "checkout_pin": 1234, "duress_pin": 5678, "contacts": "mor", "keys": "k", "to": None,
                    "body": 7, "due_at": 1, "held": "yes", "endpoint": 1, "occurred_at": [], "choice": {}},
    "long_strings": {"id": LONG, "planned_end": LONG, "buddy": LONG, "place": LONG, "note": LONG,
                     "description": LONG, "body": LONG, "action_id": LONG, "pin": LONG, "endpoint": LONG,
                     "important_info": LONG, "reference": LONG, "with_user": LONG, "second_colleague": LONG},
    "extra_fields": {"minutes": 15, "lat": 56.1, "lon": 10.2, "outcome": "safe", "note": "ok", "body": "hej",
                     "is_admin": True, "role": "admin", "__proto__": {"x": 1}, "$where": "1", "worker_id": 1},
    "invalid_uuids": {"id": "not-a-uuid", "visit_id": "123", "alert_id": "'; DROP TABLE visits; --",
                      "planned_end": NOW, "buddy": "bo", "place": "Vej 1", "kind": "threat",
                      "context": "phone", "occurred_at": NOW, "description": "x"},
    "minutes_zero": {"minutes": 0},
    "minutes_negative": {"minutes": -5},
    "minutes_too_many": {"minutes": 241},
    "minutes_huge": {"minutes": 10**40},
    "minutes_fraction": {"minutes": 1.5},
    "minutes_bool": {"minutes": True},
    "no_offset": {"id": UUID, "planned_end": "2026-11-26T10:00:00", "buddy": "bo", "place": "Vej 1",
                  "acted_at": "2026-11-26T10:00:00", "kind": "threat", "context": "phone",
                  "occurred_at": "2026-11-26T10:00:00", "description": "x", "due_at": "2026-11-26T10:00:00",
                  "minutes": 15},
    "date_only": {"id": UUID, "planned_end": "2026-11-26", "buddy": "bo", "place": "Vej 1",
                  "occurred_at": "2026-11-26", "kind": "threat", "context": "phone", "description": "x",
                  "due_at": "2026-11-26", "on_date": "2026-11-26T10:00:00+01:00"},
    "far_future": {"id": UUID, "planned_end": "9999-12-31T23:59:59-14:00", "buddy": "bo", "place": "Vej 1",
                   "interrupt_at": "9999-12-31T23:59:59-14:00", "acted_at": "9999-12-31T23:59:59-14:00",
                   "kind": "threat", "context": "phone", "occurred_at": "9999-12-31T23:59:59-14:00",
                   "description": "x", "due_at": "9999-12-31T23:59:59-14:00", "minutes": 240,
                   "on_date": "9999-12-31", "created_at": "9999-12-31T23:59:59-14:00"},
    "far_past": {"id": UUID, "planned_end": "0001-01-01T00:00:00+14:00", "buddy": "bo", "place": "Vej 1",
                 "acted_at": "0001-01-01T00:00:00+14:00", "kind": "threat", "context": "phone",
                 "occurred_at": "0001-01-01T00:00:00+14:00", "description": "x",
                 "due_at": "0001-01-01T00:00:00+14:00", "on_date": "0001-01-01", "minutes": 15,
                 "created_at": "0001-01-01T00:00:00+14:00"},
    "bad_timestamps": {"planned_end": "2026-13-45T99:99:99+00:00", "occurred_at": "yesterday",
                       "acted_at": "2026-11-26T10:00:00+24:00", "due_at": "", "on_date": "2026-02-30"},
    "nested_garbage": {"checklist": {"a": {"b": [1, 2, {"c": None}]}, "x": [[[[]]]]},
                       "contacts": [[{"name": {"first": "x"}}], None, 3], "keys": {"p256dh": {"x": []}},
                       "place": {"nested": {"deeper": ["x"] * 100}}, "body": [{"a": {"b": {}}}]},
    "many_items": {"checklist": {f"item{i}": True for i in range(5000)},
                   "contacts": [{"name": "x", "phone": "1"}] * 5000},
    "out_of_range_coords": {"lat": 91, "lon": -181, "accuracy": -1, "id": UUID},
    "cpr": {"id": UUID, "planned_end": NOW, "buddy": "bo", "place": "Hos 010203-1234", "note": "0102031234",
            "outcome": "safe", "body": "010203-1234", "description": "010203 1234"},
}

BAD_PATH_VALUES = ["not-a-uuid", UUID.upper(), "\x00", "x" * 5000, "../../etc/passwd", "' OR 1=1 --",
                   "\u00e6\u00f8\u00e5", "0"]


@pytest.fixture
def anna(app, seeded):
    client, actions = signed_in(app, "anna")
    return Caller.signed_in("anna", client, {"X-CSRFToken": actions.csrf_token})


def _send(op, caller, failures, *, path_parameters, raw: bytes | str | None = None, value=None,
          content_type="application/json", label: str):
    case = op.Case(path_parameters=path_parameters, media_type=content_type)
    headers = {**caller.headers, "Content-Type": content_type}
    data = raw if raw is not None else json.dumps(value)
    try:
        response = case.call(session=caller.client, headers=headers, cookies=caller.cookies, data=data)
        case.validate_response(response, checks=CHECKS, headers=headers)
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 (collected, reported at the end)
        failures.append(f"=== {op.label} with {label}\n{exc}")


def _path_parameters(op, seeded, index: int = 0) -> dict:
    names = [p.name for p in op.path_parameters]
    return {n: seeded.path_values[n][index % len(seeded.path_values[n])] for n in names}


def test_bad_bodies(app, seeded, anna):
    schema = load_schema(app)
    failures: list[str] = []
    sent = 0
    for op in (r.ok() for r in schema.get_all_operations()):
        if op.body is None or not len(op.body):
            continue
        for i, (label, raw) in enumerate(RAW_BODIES.items()):
            _send(op, anna, failures, path_parameters=_path_parameters(op, seeded, i), raw=raw, label=label)
            sent += 1
        for i, (label, value) in enumerate(VALUE_BODIES.items()):
            _send(op, anna, failures, path_parameters=_path_parameters(op, seeded, i), value=value, label=label)
            sent += 1
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
            _send(op, anna, failures, path_parameters=_path_parameters(op, seeded), raw="minutes=15",
                  content_type=content_type, label=content_type)
            sent += 1
    assert sent > 300
    assert not failures, f"{len(failures)} of {sent} bad bodies went wrong:\n\n" + "\n\n".join(failures)


def test_bad_path_parameters(app, seeded, anna):
    schema = load_schema(app)
    failures: list[str] = []
    sent = 0
    for op in (r.ok() for r in schema.get_all_operations()):
        names = [p.name for p in op.path_parameters]
        for name in names:
            for bad in BAD_PATH_VALUES:
                params = {**_path_parameters(op, seeded), name: bad}
                value = {"minutes": 15, "outcome": "safe", "body": "hej", "to": "in_review", "lat": 1, "lon": 1}
                _send(op, anna, failures, path_parameters=params, value=value, label=f"{name}={bad[:40]!r}")
                sent += 1
    assert sent > 50
    assert not failures, f"{len(failures)} of {sent} bad path values went wrong:\n\n" + "\n\n".join(failures)


# One valid body per operation; the test below breaks one field at a time in every way that fits its type.
def _valid_bodies(seeded, now) -> dict[str, dict]:
    visit, alert = seeded.visit_ids[0], seeded.alert_ids[0]
    soon, earlier = (now + timedelta(minutes=45)).isoformat(), (now - timedelta(minutes=5)).isoformat()
    return {
        "POST /api/v1/visits": {"id": str(uuid.uuid4()), "planned_end": soon, "buddy": "bo", "place": "Vej 1",
                                "interrupt_at": (now + timedelta(minutes=20)).isoformat(), "two_person": True,
                                "second_colleague": "Bo", "checklist": {"told_colleague": True}, "lat": 56.1,
                                "lon": 10.2, "accuracy": 15.0, "started_at": earlier},
        "POST /api/v1/visits/{visit_id}/extend": {"minutes": 15, "action_id": "a-1", "acted_at": earlier},
        "POST /api/v1/visits/{visit_id}/checkout": {"pin": "1234", "action_id": "a-2", "acted_at": earlier,
                                                    "lat": 56.1, "lon": 10.2},
        "POST /api/v1/visits/{visit_id}/location": {"lat": 56.1, "lon": 10.2, "accuracy": 12.5},
        "POST /api/v1/sos": {"id": str(uuid.uuid4()), "visit_id": visit, "lat": 56.1, "lon": 10.2,
                             "accuracy": 5.0, "acted_at": earlier},
        "PUT /api/v1/me/pins": {"checkout_pin": "1234", "duress_pin": "5678"},
        "POST /api/v1/alerts/{alert_id}/resolve": {"outcome": "safe", "note": "Alt vel"},
        "POST /api/v1/incidents": {"id": str(uuid.uuid4()), "kind": "threat", "context": "in_person",
                                   "occurred_at": earlier, "place": "Kontoret", "description": "Truede",
                                   "before": "b", "after": "a", "involved": "i", "witnesses": "w",
                                   "visit_id": visit, "alert_id": alert, "injury": "none",
                                   "absence_expected": False, "police": "no", "alarm_used": True,
                                   "created_at": earlier, "acted_at": earlier},
        "PATCH /api/v1/incidents/{incident_id}": {"kind": "violence", "context": "phone", "occurred_at": earlier,
                                                  "place": "P", "description": "D", "injury": "physical",
                                                  "absence_expected": True, "police": "called"},
        "PUT /api/v1/incidents/{incident_id}/checklist/{item}": {"choice": "yes", "note": "n", "reference": "SN-1",
                                                                 "on_date": "2026-11-26", "with_user": "ali"},
        "POST /api/v1/incidents/{incident_id}/comments": {"body": "Hvem var til stede?"},
        "POST /api/v1/incidents/{incident_id}/followup": {"due_at": soon, "held": False, "declined": False},
        "POST /api/v1/incidents/{incident_id}/transition": {"to": "in_review"},
        "PUT /api/v1/me/ambulance-letter": {"contacts": [{"name": "Mor", "relation": "mor", "phone": "+4520304050",
                                                          "phone_alt": ""}], "important_info": "Astma"},
        "POST /api/v1/push/subscriptions": {"endpoint": "https://fcm.googleapis.com/fcm/send/abc123",
                                            "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22},
                                            "expirationTime": None},
        "DELETE /api/v1/push/subscriptions": {"endpoint": "https://fcm.googleapis.com/fcm/send/abc123"},
        "POST /api/v1/drills": {"username": "bo", "unit": False, "worker": None, "buddy": None},
    }


RAW = "__raw_json_token__"

# Wrong values by the type of the valid one; RAW + text is written into the JSON text as is.
TIMES = ["2026-11-26T10:00:00", "2026-11-26", "9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59+00:00",
         "0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00+00:00", "2026-02-30T10:00:00+01:00",
         "2026-11-26T10:00:00+24:00", "", "now", 1764147600, None]
TEXTS = [LONG, "", "   ", "a\x00b", RAW + '"\\ud800"', 123, None, [], {}, True]
NUMBERS = [RAW + "NaN", RAW + "Infinity", RAW + "-Infinity", 1e308, -1e308, 10**40, "1", None, True, []]
BOOLS = ["yes", 2, None, [], RAW + "NaN"]
UUIDS = ["not-a-uuid", "", 0, "0b6f3d2e9c4a4d7e8f1a2b3c4d5e6f70" * 3, RAW + '"\\u0000"']


def _wrong_values(value) -> list:
    if isinstance(value, bool):
        return BOOLS
    if isinstance(value, (int, float)):
        return NUMBERS
    if isinstance(value, dict):
        return [None, [], "x", {"a": {"b": [{"c": None}]}}, {f"k{i}": True for i in range(500)}]
    if isinstance(value, list):
        return [None, {}, [], [None], [[[]]], "x", value * 100]
    if isinstance(value, str):
        try:
            uuid.UUID(value)
            return UUIDS
        except ValueError:
            pass
        if "T" in value and value[:4].isdigit():
            return TIMES
        return TEXTS
    return [None, "x", 1]


def _dump(body: dict) -> str:
    text = json.dumps(body)
    for value in {v for v in _leaves(body) if isinstance(v, str) and v.startswith(RAW)}:
        text = text.replace(json.dumps(value), value[len(RAW):])
    return text


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def _mutations(body: dict):
    """(label, body): each key missing, each key wrong (nested objects too), one extra key."""
    for key, value in body.items():
        yield f"{key} missing", {k: v for k, v in body.items() if k != key}
        for wrong in _wrong_values(value):
            yield f"{key}={str(wrong)[:40]!r}", {**body, key: wrong}
        if isinstance(value, dict) and value and all(isinstance(k, str) for k in value):
            for label, inner in _mutations(value):
                yield f"{key}.{label}", {**body, key: inner}
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for label, inner in _mutations(value[0]):
                yield f"{key}[0].{label}", {**body, key: [inner]}
    yield "extra field", {**body, "is_admin": True, "worker_id": 1}


def test_valid_bodies_with_one_field_broken(app, seeded, anna, clock):
    schema = load_schema(app)
    bodies = _valid_bodies(seeded, clock.now())
    failures: list[str] = []
    sent = 0
    for op in (r.ok() for r in schema.get_all_operations()):
        if op.label not in bodies:
            continue
        for i, (label, body) in enumerate(_mutations(bodies[op.label])):
            _send(op, anna, failures, path_parameters=_path_parameters(op, seeded, i), raw=_dump(body),
                  label=label)
            sent += 1
    assert sent > 500
    assert not failures, f"{len(failures)} of {sent} broken bodies went wrong:\n\n" + "\n\n".join(failures)


def test_every_body_operation_has_a_valid_body_here(app, seeded, clock):
    """A new operation with a body gets its valid example above, so its fields are broken one by one too."""
    schema = load_schema(app)
    with_body = {op.label for op in (r.ok() for r in schema.get_all_operations()) if op.body is not None
                 and len(op.body)}
    missing = with_body - set(_valid_bodies(seeded, clock.now()))
    assert not missing, f"add a valid body for {sorted(missing)} to _valid_bodies"
