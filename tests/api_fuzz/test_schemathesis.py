"""Fuzz every /api/v1 operation from the OpenAPI document the app serves (schemathesis, in-process):
as a staff worker and as a leader (signed in, CSRF token sent, real object ids now and then), and
without CSRF token and without sign-in. Every answer must be no 5xx, a documented status code with a
documented content type and a body that fits the documented schema, and every 4xx the contract's
{"error", "message"}.

Deterministic (derandomized hypothesis) and bounded: about a minute on SQLite on two cores; the
PostgreSQL run uses a smaller budget (the `backend` parameter)."""

from __future__ import annotations

import os

import pytest

from tests.api_fuzz.conftest import signed_in
from tests.api_fuzz.fuzzing import (
    NEGATIVE,
    POSITIVE,
    Caller,
    Outcome,
    Realism,
    error_code_in,
    fuzz_all,
    load_schema,
)

# Examples per operation and generation mode; PostgreSQL is slower per request, so it gets fewer.
# MAKKER_FUZZ_SCALE=10 multiplies them for a deeper run by hand (the cases stay deterministic).
SCALE = float(os.environ.get("MAKKER_FUZZ_SCALE", "1"))
BUDGET = {
    "sqlite": {"signed_in": {POSITIVE: 20, NEGATIVE: 16}, "no_csrf": 4, "anonymous": 4},
    "postgres": {"signed_in": {POSITIVE: 10, NEGATIVE: 8}, "no_csrf": 2, "anonymous": 2},
}


def _n(examples: int) -> int:
    return max(1, round(examples * SCALE))


def _assert_clean(outcome: Outcome, who: str) -> None:
    assert outcome.requests > 0
    assert not outcome.failures, (
        f"{len(outcome.failures)} operation(s) failed for {who} after {outcome.requests} requests:\n\n"
        + outcome.report()
    )


@pytest.mark.parametrize("username", ["anna", "lene"], ids=["staff", "leader"])
def test_fuzz_signed_in(app, backend, clock, seeded, username):
    client, actions = signed_in(app, username)
    schema = load_schema(app)
    realism = Realism(path_values=seeded.path_values, usernames=seeded.usernames, visit_ids=seeded.visit_ids,
                      alert_ids=seeded.alert_ids, now=clock.now)
    outcome = Outcome()
    caller = Caller.signed_in(username, client, {"X-CSRFToken": actions.csrf_token})
    fuzz_all(schema, caller, {m: _n(n) for m, n in BUDGET[backend]["signed_in"].items()}, realism, outcome)
    _assert_clean(outcome, username)
    # The fuzzer got past sign-in and CSRF to the real handlers, and into their successes.
    assert outcome.statuses.get(401, 0) == 0, outcome.statuses
    ok = sum(n for status, n in outcome.statuses.items() if status < 300)
    assert ok >= outcome.requests // 10, outcome.statuses
    print(f"\n{backend} {username}: {outcome.requests} requests in {outcome.seconds:.1f} s, "
          f"statuses {dict(sorted(outcome.statuses.items()))}")


def test_fuzz_without_csrf_token(app, backend, clock, seeded):
    client, _ = signed_in(app, "anna")
    schema = load_schema(app)
    outcome = Outcome()
    n = _n(BUDGET[backend]["no_csrf"])
    # The generated X-CSRFToken header (a random string) is sent as is: never the right token.
    fuzz_all(schema, Caller.signed_in("anna without CSRF", client), {POSITIVE: n, NEGATIVE: n}, None, outcome,
             only=lambda op: op.method.upper() != "GET", extra_checks=(error_code_in("csrf_failed"),))
    _assert_clean(outcome, "anna without CSRF token")
    assert set(outcome.statuses) == {400}, outcome.statuses


def test_fuzz_anonymous(app, backend, seeded):
    schema = load_schema(app)
    outcome = Outcome()
    n = _n(BUDGET[backend]["anonymous"])
    # Generated (wrong) session cookies are sent as they are. A change is refused for its missing CSRF
    # token before sign-in is looked at; a read answers 401.
    fuzz_all(schema, Caller("anonymous", app.test_client()), {POSITIVE: n, NEGATIVE: n}, None, outcome,
             extra_checks=(error_code_in("not_signed_in", "csrf_failed"),))
    _assert_clean(outcome, "anonymous")
    assert set(outcome.statuses) <= {400, 401}, outcome.statuses
