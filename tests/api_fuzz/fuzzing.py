"""Drive schemathesis against the in-process Flask app: one hypothesis run per API operation, as a
given person, with their session cookie and CSRF token, and the contract's checks on every answer.

Everything is derandomized (the same cases every run) and bounded by `max_examples` per operation.
Failures of all operations are collected and reported together, each with schemathesis's report
(the check that failed, the answer and a curl line to reproduce it)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE


def contract_error_shape(ctx, response, case) -> None:
    """Every 4xx (documented or not) is JSON {"error": code, "message": sentence}."""
    if not 400 <= response.status_code < 500:
        return None
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith("application/json"), (
        f"{response.status_code} answered with Content-Type {content_type!r}, not JSON"
    )
    body = json.loads(response.content)
    assert isinstance(body, dict), f"{response.status_code} body is not an object: {body!r}"
    assert isinstance(body.get("error"), str) and body["error"], f"no machine code in {body!r}"
    assert isinstance(body.get("message"), str) and body["message"].strip(), f"no message in {body!r}"
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    contract_error_shape,
]


def load_schema(app):
    """The document the app serves, bound to the app so cases are sent in-process (WSGI)."""
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def operations(schema) -> list:
    return [result.ok() for result in schema.get_all_operations()]


@dataclass
class Realism:
    """Now and then swap generated values for real ones, so handlers run past "not found" and
    "invalid buddy" into their real work (and the states that follow it)."""

    path_values: dict[str, list[str]]
    usernames: list[str]
    visit_ids: list[str]
    alert_ids: list[str]
    now: Any  # callable -> aware datetime

    def apply(self, case, data) -> None:
        for name in list(case.path_parameters or {}):
            values = self.path_values.get(name)
            if values and data.draw(st.integers(0, 3), label=f"real {name}?") < 3:
                case.path_parameters = {**case.path_parameters, name: data.draw(st.sampled_from(values))}
        body = case.body
        if not isinstance(body, dict) or not data.draw(st.booleans(), label="realistic body?"):
            return
        body = dict(body)
        for key in ("buddy", "with_user"):
            if key in body:
                body[key] = data.draw(st.sampled_from(self.usernames))
        if "visit_id" in body:
            body["visit_id"] = data.draw(st.sampled_from(self.visit_ids))
        if "alert_id" in body:
            body["alert_id"] = data.draw(st.sampled_from(self.alert_ids))
        for key in ("planned_end", "interrupt_at", "due_at", "occurred_at", "acted_at", "started_at"):
            if key in body:
                minutes = data.draw(st.integers(-24 * 60, 24 * 60))
                body[key] = (self.now() + timedelta(minutes=minutes)).isoformat()
        case.body = body


@dataclass
class Caller:
    """Who sends the requests: a signed-in test client (or an anonymous one) and the headers it adds."""

    name: str
    client: Any
    headers: dict[str, str] = field(default_factory=dict)
    # The session cookie, sent with every case: the document declares it as the security scheme, so
    # schemathesis generates a (wrong) `makker_session` cookie for each case, which these replace.
    cookies: dict[str, str] = field(default_factory=dict)

    @classmethod
    def signed_in(cls, name: str, client, headers: dict[str, str] | None = None) -> Caller:
        cookie = client.get_cookie("makker_session")
        assert cookie is not None, f"{name} has no session cookie"
        return cls(name, client, headers or {}, {"makker_session": cookie.value})


@dataclass
class Outcome:
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def report(self) -> str:
        return "\n\n".join(self.failures)


def fuzz_operation(op, caller: Caller, mode: GenerationMode, max_examples: int, realism: Realism | None,
                   outcome: Outcome, extra_checks: tuple = ()) -> None:
    strategy = op.as_strategy(generation_mode=mode)

    @settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        # No shrinking: a failing run stays short, and schemathesis's report already has the case.
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=strategy, data=st.data())
    def run(case, data):
        if realism is not None:
            realism.apply(case, data)
        response = case.call(session=caller.client, headers=caller.headers, cookies=caller.cookies)
        outcome.requests += 1
        outcome.statuses[response.status_code] = outcome.statuses.get(response.status_code, 0) + 1
        case.validate_response(response, checks=[*CHECKS, *extra_checks], headers=caller.headers)

    started = time.perf_counter()
    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 (collected, reported at the end)
        outcome.failures.append(f"=== {caller.name}, {mode.value}: {op.label}\n{exc}")
    finally:
        outcome.seconds += time.perf_counter() - started


def fuzz_all(schema, caller: Caller, modes: dict[GenerationMode, int], realism: Realism | None,
             outcome: Outcome, only=None, extra_checks: tuple = ()) -> None:
    for op in operations(schema):
        if only is not None and not only(op):
            continue
        for mode, max_examples in modes.items():
            fuzz_operation(op, caller, mode, max_examples, realism, outcome, extra_checks)


def error_code_in(*codes: str):
    """A check: the answer is an error with one of these machine codes."""

    def error_code(ctx, response, case) -> None:
        body = json.loads(response.content) if response.content else None
        code = body.get("error") if isinstance(body, dict) else None
        assert code in codes, f"expected error {' or '.join(codes)}, got {response.status_code} {body!r}"

    return error_code
