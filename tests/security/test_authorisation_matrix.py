"""The authorisation matrix (OWASP ASVS 4.0.3 V4.1.1, V4.1.3, V4.1.5, V4.2.1, V4.2.2, V4.3.1):
every rule of `app.url_map` x every method x every role, against the one table below.

Roles (tests/security/conftest.py): `anonymous`; `owner` (anna, who owns every object in a URL);
`colleague` (carl, same unit, not involved); `buddy` (bo, anna's buddy and so the responder of her
alerts); `other_unit` (dina, staff of another unit); `leader` (lene) and `amr` (ali) of anna's unit;
`other_leader` (sofie, leader of the other unit); `admin`. So `owner` is "my own object" and every
other role is "someone else's object".

Outcomes: OK (the request was authorised: 2xx, a redirect that is not to the sign-in page, or a
409/422 business answer), LOGIN (401 for /api, else the redirect to /login or htmx's HX-Redirect),
FORBIDDEN (403), NOT_FOUND (404: DEVELOPING.md says objects a user may not see answer 404, never 403).

Each GET is sent as a plain request and as an htmx request (HX-Request: true), which gets the partial.
Each state-changing request carries a valid CSRF token (so CSRF does not mask authorisation) and
valid input, on objects made for it alone; and the same request without a token must answer 400.

A rule that the table does not classify fails `test_every_endpoint_is_classified`: a new endpoint
cannot slip in unreviewed. Add its row here, with the reason, when you add the endpoint.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from flask import url_for

from app.extensions import db
from tests.security.conftest import PEOPLE

ROLES = ("anonymous", *PEOPLE)

OK, LOGIN, FORBIDDEN, NOT_FOUND, BAD_REQUEST = "ok", "login", "403", "404", "400"


def expect(*allowed: str, others: str = NOT_FOUND, anonymous: str = LOGIN, **special: str) -> dict[str, str]:
    """Outcome per role: `allowed` roles get OK, the other signed-in roles `others`."""
    table = {"anonymous": anonymous}
    for role in PEOPLE:
        table[role] = OK if role in allowed else others
    for role, outcome in special.items():
        table[role] = outcome
    return table


PUBLIC = expect(*PEOPLE, anonymous=OK)
SSO_OFF = expect(others=NOT_FOUND, anonymous=NOT_FOUND)
SIGNED_IN = expect(*PEOPLE)
ADMIN_ONLY = expect("admin", others=FORBIDDEN)
OWNER_ONLY = expect("owner")
REVIEWERS = ("leader", "amr")  # of anna's unit: they see her submitted incidents, never her drafts
RESPONDERS_L1 = ("buddy",)  # an overdue alert at level 1
RESPONDERS_L2 = ("buddy", "leader", "amr")  # SOS, duress and level 2
DRILL_RUNNERS = expect("leader", "amr", "other_leader", "admin", others=FORBIDDEN)
DRILL_OWNERS = expect("leader", "amr", "admin", others=FORBIDDEN, other_leader=NOT_FOUND)  # anna's unit's drill


@dataclass
class Row:
    endpoint: str
    method: str
    expected: dict[str, str]
    args: Callable = lambda o, role: {}  # URL arguments from the objects (o) and the acting role
    form: Callable | None = None  # form fields (pages) ...
    json: Callable | None = None  # ... or a JSON body (/api/v1)
    variant: str = ""
    why: str = ""
    also: tuple = field(default_factory=tuple)  # extra outcomes accepted for every role (e.g. 503)

    @property
    def id(self) -> str:
        return f"{self.endpoint}:{self.method}" + (f":{self.variant}" if self.variant else "")


def _buddy_for(role: str) -> str:
    return {"owner": "bo", "buddy": "anna", "colleague": "anna", "leader": "anna", "amr": "anna",
            "other_unit": "sofie", "other_leader": "dina"}.get(role, "anna")


def _visit_form(o, role):
    return {"id": str(uuid.uuid4()), "duration": "60", "buddy": _buddy_for(role), "place": "Torvet 3"}


def _visit_json(o, role):
    return {"id": str(uuid.uuid4()), "planned_end": _in_an_hour(o), "buddy": _buddy_for(role), "place": "Torvet 3"}


def _in_an_hour(o) -> str:
    from datetime import timedelta

    return (o.clock.now() + timedelta(hours=1)).isoformat()


def _sos_form(o, role):
    if role == "owner":
        assert o.visit  # anna's newest running visit is one made for this request, not a shared one
    return {"alert_id": str(uuid.uuid4())}


def _draft_form(o, role):
    return {"kind": "threat", "context": "in_person", "place": "Borgerens hjem",
            "description": "Borgeren truede med at slå."}


def _incident_json(o, role):
    return {"id": str(uuid.uuid4()), "kind": "threat", "context": "in_person",
            "occurred_at": o.clock.now().isoformat(), "place": "Borgerens hjem",
            "description": "Borgeren truede med at slå."}


UNIT_FORM = {
    "opens_at": "08:00", "closes_at": "16:00", "open_weekdays": ["1", "2", "3", "4", "5"],
    "crisis_line": "87 10 89 00", "crisis_line_name": "Human House", "police_emergency": "112",
    "police_service": "114", "easy_deadline_days": "9", "follow_up_after_days": "2", "active": "y",
}
LETTER_FORM = {"contacts-0-name": "Pårørende", "contacts-0-relation": "Ægtefælle", "contacts-0-phone": "+45 40 50 60 70"}
LETTER_JSON = {"contacts": [{"name": "Pårørende", "relation": "Ægtefælle", "phone": "+45 40 50 60 70"}]}


def _draft(o, role):
    return {"incident_id": o.draft}


def _submitted(o, role):
    return {"incident_id": o.submitted}


def _both_incidents(endpoint, method, draft: dict, submitted: dict, **kw) -> list[Row]:
    return [Row(endpoint, method, draft, args=_draft, variant="draft", **kw),
            Row(endpoint, method, submitted, args=_submitted, variant="submitted", **kw)]


def _alerts(endpoint, method, **kw) -> list[Row]:
    return [Row(endpoint, method, expect(*RESPONDERS_L1), args=lambda o, r: {"alert_id": o.overdue_alert},
                variant="level1", **kw),
            Row(endpoint, method, expect(*RESPONDERS_L2), args=lambda o, r: {"alert_id": o.sos_alert},
                variant="level2", **kw)]


ROWS: list[Row] = [
    # --- Public: no sign-in, on purpose ------------------------------------------------------------
    Row("auth.login", "GET", PUBLIC),
    Row("auth.login", "POST", PUBLIC, form=lambda o, r: {"username": "anna", "password": "demo"},
        why="signs in (anonymous) or sends a signed-in user home"),
    Row("auth.logout", "POST", expect(*PEOPLE, anonymous=LOGIN, **{r: LOGIN for r in PEOPLE}),
        why="always ends on the sign-in page; tests/security/test_sessions.py checks the session is gone"),
    Row("account.set_language", "POST", PUBLIC, form=lambda o, r: {"locale": "da"},
        why="the sign-in page has the language switch too (kept in the cookie session)"),
    Row("static", "GET", PUBLIC, args=lambda o, r: {"filename": "css/app.css"}),
    Row("pwa.manifest", "GET", PUBLIC),
    Row("pwa.service_worker", "GET", PUBLIC),
    Row("pwa.offline", "GET", PUBLIC),
    Row("push.service_worker_push", "GET", PUBLIC),
    Row("api.openapi_document", "GET", PUBLIC, why="the API description holds no data"),
    Row("push.confirm", "GET", PUBLIC, args=lambda o, r: {"token": o.confirm_token},
        why="a signed link (itsdangerous, 7 days) from a test SMS/e-mail; the token is the authority"),
    Row("push.confirm", "POST", PUBLIC, args=lambda o, r: {"token": o.confirm_token}),
    Row("ops.healthz", "GET", PUBLIC, why="load balancer probe; says only ok/fail"),
    Row("ops.healthz_watchdog", "GET", PUBLIC, also=("503",), why="503 while no watchdog has ticked"),
    Row("ops.metrics", "GET", PUBLIC,
        why="the test client is this machine; from elsewhere MAKKER_METRICS_TOKEN (tests/ops)"),

    # --- Any signed-in person, acting on their own account only -----------------------------------
    Row("main.home", "GET", SIGNED_IN),
    Row("api.me", "GET", SIGNED_IN),
    Row("account.settings", "GET", SIGNED_IN),
    Row("account.revoke_other_devices", "POST", SIGNED_IN),
    Row("account.change_password", "GET", SIGNED_IN),
    Row("account.change_password", "POST", SIGNED_IN, form=lambda o, r: {
        "current_password": "wrong", "new_password": "x", "repeat_password": "y"},
        why="one's own password only; a wrong current password answers 422 and changes nothing"),
    Row("account.revoke_device", "POST", OWNER_ONLY, args=lambda o, r: {"device_id": o.device},
        why="anna's other device: anyone else gets 404"),
    Row("alerts.index", "GET", SIGNED_IN, why="lists only the alerts the person responds to"),
    Row("alerts.badge", "GET", SIGNED_IN, why="the count of the person's own open alerts"),
    Row("live.state", "GET", SIGNED_IN, args=lambda o, r: {"topics": "visit,alerts,inbox"},
        why="tokens of the signed-in person's own topics (app/live); 401 JSON when signed out"),
    Row("alerts_api.list_alerts", "GET", SIGNED_IN),
    Row("visits.index", "GET", SIGNED_IN),
    Row("visits.new", "GET", SIGNED_IN),
    Row("visits.new", "POST", SIGNED_IN, form=_visit_form, why="a visit of the signed-in person"),
    Row("visits_api.create_visit", "POST", SIGNED_IN, json=_visit_json, why="a visit of the signed-in person"),
    Row("visits.pins", "GET", SIGNED_IN),
    Row("visits.pins", "POST", SIGNED_IN, form=lambda o, r: {"checkout_pin": "4711", "duress_pin": "1147"}),
    Row("visits.clear_pins", "POST", SIGNED_IN),
    Row("visits_api.set_pins", "PUT", SIGNED_IN, json=lambda o, r: {"checkout_pin": "4711", "duress_pin": "1147"}),
    Row("visits_api.delete_pins", "DELETE", SIGNED_IN),
    Row("visits.sos", "GET", SIGNED_IN),
    Row("visits.sos", "POST", SIGNED_IN, form=lambda o, r: _sos_form(o, r),
        why="raises an SOS for the signed-in person only (on their own running visit)"),
    Row("visits_api.sos", "POST", SIGNED_IN,
        json=lambda o, r: {"id": str(uuid.uuid4())} | ({"visit_id": o.visit} if r == "owner" else {})),
    Row("visits_api.colleagues", "GET", SIGNED_IN),
    Row("help_api.contacts", "GET", SIGNED_IN),
    Row("help.index", "GET", SIGNED_IN),
    Row("help.guideline", "GET", SIGNED_IN),
    Row("help.card", "GET", SIGNED_IN, args=lambda o, r: {"slug": _first_slug()}),
    Row("help.letter", "GET", SIGNED_IN),
    Row("help.edit_letter", "GET", SIGNED_IN),
    Row("help.edit_letter", "POST", SIGNED_IN, form=lambda o, r: dict(LETTER_FORM)),
    Row("help.letter_reviewed", "POST", SIGNED_IN),
    Row("help_api.my_letter", "GET", SIGNED_IN),
    Row("help_api.put_my_letter", "PUT", SIGNED_IN, json=lambda o, r: LETTER_JSON),
    Row("help_api.review_my_letter", "POST", SIGNED_IN),
    Row("incidents.index", "GET", SIGNED_IN),
    Row("incidents.new", "GET", SIGNED_IN),
    Row("incidents_api.list_incidents", "GET", SIGNED_IN, why="mine, and for leaders/AMRs their unit's"),
    Row("incidents_api.create", "POST", SIGNED_IN, json=_incident_json),
    Row("push.card", "GET", SIGNED_IN),
    Row("push.save_channels", "POST", SIGNED_IN, form=lambda o, r: {"push": "y"}),
    Row("push.send_test", "POST", SIGNED_IN),
    Row("push.remove_device", "POST", OWNER_ONLY, args=lambda o, r: {"subscription_id": o.subscription}),
    Row("push_api.vapid_public_key", "GET", SIGNED_IN),
    Row("push_api.create_subscription", "POST", SIGNED_IN, json=lambda o, r: _subscription_json()),
    Row("push_api.delete_subscription", "DELETE", SIGNED_IN,
        json=lambda o, r: {"endpoint": "https://fcm.googleapis.com/fcm/send/gone"},
        why="deletes only the caller's own subscription with that endpoint (204 also when none)"),

    # --- anna's visits: only anna; responders see the visit (API) while one of its alerts exists -----
    Row("visits.show", "GET", OWNER_ONLY, args=lambda o, r: {"visit_id": o.visit}),
    Row("visits.show", "GET", OWNER_ONLY, args=lambda o, r: {"visit_id": o.sos_visit}, variant="with_sos"),
    Row("visits.checkout", "POST", OWNER_ONLY, args=lambda o, r: {"visit_id": o.visit}),
    Row("visits.extend", "POST", OWNER_ONLY, args=lambda o, r: {"visit_id": o.visit},
        form=lambda o, r: {"minutes": "15"}),
    Row("visits.sos_sent", "GET", OWNER_ONLY, args=lambda o, r: {"alert_id": o.sos_alert}),
    Row("visits_api.get_visit", "GET", OWNER_ONLY, args=lambda o, r: {"visit_id": o.visit}, variant="no_alert"),
    Row("visits_api.get_visit", "GET", expect("owner", *RESPONDERS_L1),
        args=lambda o, r: {"visit_id": o.overdue_visit}, variant="level1"),
    Row("visits_api.get_visit", "GET", expect("owner", *RESPONDERS_L2),
        args=lambda o, r: {"visit_id": o.sos_visit}, variant="level2"),
    Row("visits_api.extend_visit", "POST", OWNER_ONLY, args=lambda o, r: {"visit_id": o.visit},
        json=lambda o, r: {"minutes": 15}),
    Row("visits_api.checkout_visit", "POST", OWNER_ONLY, args=lambda o, r: {"visit_id": o.visit},
        json=lambda o, r: {}),
    Row("visits_api.visit_location", "POST", OWNER_ONLY, args=lambda o, r: {"visit_id": o.visit},
        json=lambda o, r: {"lat": 56.15, "lon": 10.2, "accuracy": 20}),

    # --- anna's alerts: the responders only (never anna herself: a duress alarm is silent) ----------
    *_alerts("alerts.show", "GET"),
    *_alerts("alerts.ack", "POST"),
    *_alerts("alerts.resolve", "POST", form=lambda o, r: {"outcome": "safe", "note": ""}),
    *_alerts("alerts_api.get_alert", "GET"),
    *_alerts("alerts_api.ack_alert", "POST"),
    *_alerts("alerts_api.resolve_alert", "POST", json=lambda o, r: {"outcome": "safe", "note": ""}),

    # --- anna's incidents: a draft is hers alone; a submitted one also her unit's leader and AMR -----
    *_both_incidents("incidents.detail", "GET", OWNER_ONLY, expect("owner", *REVIEWERS)),
    *_both_incidents("incidents.print_view", "GET", OWNER_ONLY, expect("owner", *REVIEWERS)),
    *_both_incidents("incidents.pdf", "GET", OWNER_ONLY, expect("owner", *REVIEWERS)),
    *_both_incidents("incidents.edit", "GET", OWNER_ONLY, expect("owner", *REVIEWERS),
                     why="a submitted incident redirects to its page"),
    *_both_incidents("incidents.save", "POST", OWNER_ONLY, OWNER_ONLY, form=_draft_form,
                     why="only the author edits, only a draft (409 for a submitted one)"),
    *_both_incidents("incidents.submit", "POST", OWNER_ONLY, OWNER_ONLY, form=_draft_form),
    Row("incidents.submit", "POST", expect("owner", leader=FORBIDDEN, amr=FORBIDDEN), args=_submitted,
        variant="submitted_button", why="the submit button alone (no fields): a reviewer sees it, may not submit"),
    Row("incidents.submit", "POST", OWNER_ONLY, args=_draft, variant="draft_button"),
    *_both_incidents("incidents.delete", "POST", OWNER_ONLY, OWNER_ONLY),
    *_both_incidents("incidents.change_status", "POST", expect(owner=FORBIDDEN),
                     expect(*REVIEWERS, owner=FORBIDDEN), form=lambda o, r: {"to": "in_review"},
                     why="the author sees it but may not review it: 403"),
    Row("incidents.set_check", "POST", expect(owner=FORBIDDEN), variant="draft",
        args=lambda o, r: {"incident_id": o.draft, "item": "cared_for"}, form=lambda o, r: {"note": "Talt med Anna"}),
    Row("incidents.set_check", "POST", expect(*REVIEWERS, owner=FORBIDDEN), variant="submitted",
        args=lambda o, r: {"incident_id": o.submitted, "item": "cared_for"},
        form=lambda o, r: {"note": "Talt med Anna"}),
    *_both_incidents("incidents.followup", "POST", expect(owner=FORBIDDEN), expect(*REVIEWERS, owner=FORBIDDEN),
                     form=lambda o, r: {"due_at": "2031-01-06T10:00"}),
    *_both_incidents("incidents.comment", "POST", OWNER_ONLY, expect("owner", *REVIEWERS),
                     form=lambda o, r: {"body": "Kan du beskrive det nærmere?"}),
    *_both_incidents("incidents_api.get_one", "GET", OWNER_ONLY, expect("owner", *REVIEWERS)),
    *_both_incidents("incidents_api.readers", "GET", OWNER_ONLY, OWNER_ONLY, why="who read my incident: mine"),
    *_both_incidents("incidents_api.patch", "PATCH", OWNER_ONLY, OWNER_ONLY,
                     json=lambda o, r: {"place": "Kontoret"}),
    *_both_incidents("incidents_api.submit", "POST", OWNER_ONLY, expect("owner", *REVIEWERS,
                     leader=FORBIDDEN, amr=FORBIDDEN), why="a reviewer sees it but cannot submit: 403"),
    *_both_incidents("incidents_api.transition", "POST", expect(owner=FORBIDDEN),
                     expect(*REVIEWERS, owner=FORBIDDEN), json=lambda o, r: {"to": "in_review"}),
    *_both_incidents("incidents_api.comment", "POST", OWNER_ONLY, expect("owner", *REVIEWERS),
                     json=lambda o, r: {"body": "Kan du beskrive det nærmere?"}),
    Row("incidents_api.set_check", "PUT", expect(owner=FORBIDDEN), variant="draft",
        args=lambda o, r: {"incident_id": o.draft, "item": "cared_for"}, json=lambda o, r: {"note": "Talt med Anna"}),
    Row("incidents_api.set_check", "PUT", expect(*REVIEWERS, owner=FORBIDDEN), variant="submitted",
        args=lambda o, r: {"incident_id": o.submitted, "item": "cared_for"},
        json=lambda o, r: {"note": "Talt med Anna"}),
    *_both_incidents("incidents_api.followup", "POST", expect(owner=FORBIDDEN),
                     expect(*REVIEWERS, owner=FORBIDDEN), json=lambda o, r: {"due_at": "2031-01-06T10:00:00+01:00"}),
    Row("incidents.review", "GET", expect("leader", "amr", "other_leader"),
        why="leaders and AMRs of a unit (their own unit's list); 404 for everyone else"),
    Row("incidents.export_csv", "GET", expect("leader", "amr", "other_leader", "admin"),
        why="name-free export of their own unit (admin: all units)"),
    Row("incidents.statistics", "GET", expect("leader", "amr", "other_leader", "admin")),

    # --- Drills (lene's drill for bo) and alert statistics: leaders, AMRs, administrators -----------
    Row("drills.index", "GET", DRILL_RUNNERS),
    Row("drills.start", "POST", DRILL_RUNNERS, form=lambda o, r: {"kind": "person", "person": "bo"},
        why="bo is not in sofie's unit and anna's open alerts refuse a new drill: the page says so (302)"),
    Row("drills.show", "GET", DRILL_OWNERS, args=lambda o, r: {"drill_id": o.drill}),
    Row("drills.stop", "POST", DRILL_OWNERS, args=lambda o, r: {"drill_id": o.drill}),
    Row("drills_api.start_drill", "POST", expect("leader", "amr", "admin", others=FORBIDDEN, other_leader=NOT_FOUND),
        json=lambda o, r: {"username": "bo"}, why="409 in anna's unit while her alerts are open; bo is no one sofie knows"),
    Row("drills_api.get_drill", "GET", DRILL_OWNERS, args=lambda o, r: {"drill_id": o.drill}),
    Row("drills_api.stop_drill", "POST", DRILL_OWNERS, args=lambda o, r: {"drill_id": o.drill}),
    Row("drills.answer", "GET", expect("buddy"), args=lambda o, r: {"alert_id": o.drill_alert},
        why="the drill alarm is bo's alone: everyone else gets 404"),
    Row("drills.ack", "POST", expect("buddy"), args=lambda o, r: {"alert_id": o.drill_alert}),
    Row("stats.alerts", "GET", DRILL_RUNNERS, why="counts and times of their own unit (admin: all units)"),
    Row("stats.alerts_csv", "GET", DRILL_RUNNERS),
    Row("stats_api.alert_stats", "GET", DRILL_RUNNERS),

    # --- Single sign-on: off in this matrix, so 404 for everyone (tests/sso runs it against real
    # providers: oidc-provider and a signed SAML IdP) ---------------------------------------------------
    Row("sso.oidc_start", "GET", SSO_OFF, why="the sign-in button's target; 404 while OpenID Connect is off"),
    Row("sso.oidc_callback", "GET", SSO_OFF, why="state, nonce and PKCE decide; tests/sso/test_oidc.py"),
    Row("sso.saml_start", "GET", SSO_OFF),
    Row("sso.saml_done", "GET", SSO_OFF, why="a signed one-use ticket from the ACS is the authority"),
    Row("sso.saml_metadata", "GET", SSO_OFF, why="public SP metadata while SAML is on"),
    Row("sso.saml_acs", "POST", SSO_OFF, variant="csrf_exempt",
        why="a cross-site POST from the IdP: no CSRF token; the signature and InResponseTo decide"),
    Row("sso.set_local_login", "POST", ADMIN_ONLY, args=lambda o, r: {"user_id": o.throwaway_user},
        form=lambda o, r: {"local": "1"}, why="who may sign in with a password while SSO is on"),

    # --- Re-authentication and choosing another buddy --------------------------------------------------
    Row("reauth.page", "GET", SIGNED_IN, why="asks the signed-in person to prove it is them"),
    Row("reauth.page", "POST", SIGNED_IN, form=lambda o, r: {"password": "demo"}),
    Row("handover.change_buddy", "GET", expect("owner", "leader", "admin"), args=lambda o, r: {"visit_id": o.visit},
        why="the worker, a leader of the visit's unit, or an administrator"),
    Row("handover.change_buddy", "POST", expect("owner", "leader", "admin"), args=lambda o, r: {"visit_id": o.visit},
        form=lambda o, r: {"buddy": "carl"}),

    # --- anna's ambulance letter: anna, her unit's leader, and responders of an open alert for her ----
    Row("help.person_letter", "GET", expect("owner", "leader", *RESPONDERS_L2),
        args=lambda o, r: {"username": "anna"}, why="open alerts for anna exist (bo, ali respond)"),
    Row("help_api.user_letter", "GET", expect("owner", "leader", *RESPONDERS_L2),
        args=lambda o, r: {"username": "anna"}),
    Row("help.unit_letters", "GET", expect("leader", "other_leader", "admin", others=FORBIDDEN),
        why="roles_required('leader'): the state of each letter of the leader's own unit, no contents"),

    # --- Administrators only (403 for everyone else) -------------------------------------------------
    Row("admin.index", "GET", ADMIN_ONLY),
    Row("admin.audit_log", "GET", ADMIN_ONLY),
    Row("retention.admin_page", "GET", ADMIN_ONLY, why="the retention policy and the latest purge runs"),
    Row("admin.users", "GET", ADMIN_ONLY),
    Row("admin.new_user", "GET", ADMIN_ONLY),
    Row("admin.new_user", "POST", ADMIN_ONLY, form=lambda o, r: {
        "username": f"new{uuid.uuid4().hex[:8]}", "name": "Ny Person", "role": "staff", "unit_id": "",
        "locale": "da", "password": "en lang sætning om kaffe"}),
    Row("admin.edit_user", "GET", ADMIN_ONLY, args=lambda o, r: {"user_id": o.anna_id}),
    Row("admin.edit_user", "POST", ADMIN_ONLY, args=lambda o, r: {"user_id": o.throwaway_user},
        form=lambda o, r: {"username": f"matrix{o.n}", "name": "Matrix Person", "role": "staff",
                           "unit_id": str(o.throwaway_unit), "locale": "da"}),
    Row("admin.deactivate_user", "POST", ADMIN_ONLY, args=lambda o, r: {"user_id": o.throwaway_user}),
    Row("admin.reactivate_user", "POST", ADMIN_ONLY, args=lambda o, r: {"user_id": o.throwaway_user}),
    Row("admin.sign_out_user", "POST", ADMIN_ONLY, args=lambda o, r: {"user_id": o.throwaway_user}),
    Row("admin.set_password", "POST", ADMIN_ONLY, args=lambda o, r: {"user_id": o.throwaway_user},
        form=lambda o, r: {"password": "en lang sætning om kaffe"}),
    Row("admin.units", "GET", ADMIN_ONLY),
    Row("admin.new_unit", "GET", ADMIN_ONLY),
    Row("admin.new_unit", "POST", ADMIN_ONLY, form=lambda o, r: UNIT_FORM | {"name": f"Ny enhed {uuid.uuid4().hex[:6]}"}),
    Row("admin.edit_unit", "GET", ADMIN_ONLY, args=lambda o, r: {"unit_id": o.unit_id}),
    Row("admin.edit_unit", "POST", ADMIN_ONLY, args=lambda o, r: {"unit_id": o.throwaway_unit},
        form=lambda o, r: UNIT_FORM | {"name": f"Matrix unit {o.n}"}),
    Row("admin.set_member_role", "POST", ADMIN_ONLY,
        args=lambda o, r: {"unit_id": o.throwaway_unit, "user_id": o.throwaway_user},
        form=lambda o, r: {"role": "leader"}),
    Row("help.edit_card", "GET", ADMIN_ONLY, args=lambda o, r: {"slug": _first_slug()}),
    Row("help.edit_card", "POST", ADMIN_ONLY, args=lambda o, r: {"slug": _first_slug(), "locale": "da"},
        form=lambda o, r: {"title": "Før mødet", "body_markdown": "Tal med en kollega."}),
    Row("help.reset_card", "POST", ADMIN_ONLY, args=lambda o, r: {"slug": _first_slug(), "locale": "da"}),
    Row("push.health", "GET", ADMIN_ONLY),
    Row("push.mail_sink", "GET", ADMIN_ONLY),
    Row("push.mail_sink_message", "GET", ADMIN_ONLY, args=lambda o, r: {"message_id": o.mail_message}),
]


def _first_slug() -> str:
    from app.help.guideline import DEFAULT_CARDS

    return DEFAULT_CARDS[0].slug


def _subscription_json() -> dict:
    from tests.security.conftest import browser_keys

    p256dh, auth = browser_keys()
    return {"endpoint": f"https://fcm.googleapis.com/fcm/send/{uuid.uuid4()}", "keys": {"p256dh": p256dh, "auth": auth}}


STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


# --- Classification: nothing in the url_map without a row, no row without a rule -------------------

def test_every_endpoint_is_classified(world):
    rules = {(rule.endpoint, method): rule.rule for rule in world.app.url_map.iter_rules()
             for method in rule.methods - {"HEAD", "OPTIONS"}}
    classified = {(row.endpoint, row.method) for row in ROWS}
    missing = sorted(f"{method} {rule} (endpoint {endpoint!r})" for (endpoint, method), rule in rules.items()
                     if (endpoint, method) not in classified)
    stale = sorted(f"{endpoint} {method}" for endpoint, method in classified - set(rules))
    assert not missing, (
        "Endpoints without a row in tests/security/test_authorisation_matrix.py ROWS; decide who may use "
        "them (and add the check to the view if needed), then add the row:\n  " + "\n  ".join(missing))
    assert not stale, "Rows for endpoints that no longer exist: " + ", ".join(stale)
    for row in ROWS:
        assert set(row.expected) == set(ROLES), row.id
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids)), "Rows listed twice: " + ", ".join(sorted({i for i in ids if ids.count(i) > 1}))


def test_table_has_every_role_in_every_outcome_kind():
    """The table is not vacuous: each kind of refusal occurs, and every role is refused somewhere."""
    outcomes = {o for row in ROWS for o in row.expected.values()}
    assert {OK, LOGIN, FORBIDDEN, NOT_FOUND} <= outcomes
    for role in ROLES:
        assert any(row.expected[role] != OK for row in ROWS), role
        assert any(row.expected[role] == OK for row in ROWS), role


# --- The matrix itself ----------------------------------------------------------------------------

def outcome(response) -> str:
    status = response.status_code
    if status == 401:
        return LOGIN
    if status in (301, 302, 303, 307, 308) and urlsplit(response.headers.get("Location", "")).path == "/login":
        return LOGIN
    if status == 204 and urlsplit(response.headers.get("HX-Redirect", "")).path == "/login":
        return LOGIN
    if status in (403, 404, 400):
        return str(status)
    if status < 400 or status in (409, 422):
        return OK
    return str(status)


def _request(world, row: Row, role: str, objects, *, csrf: bool, htmx: bool = False):
    client, token = world.client(role, shared=row.method not in STATE_CHANGING)
    with world.app.app_context():
        o = objects()
        args = row.args(o, role)
        form = row.form(o, role) if row.form else None
        body = row.json(o, role) if row.json else None
        with world.app.test_request_context():
            url = url_for(row.endpoint, **args)
    headers = {"HX-Request": "true"} if htmx else {}
    kwargs = {}
    if row.method in STATE_CHANGING:
        if row.json is not None or row.endpoint.split(".")[0].endswith("_api"):
            kwargs["json"] = body if body is not None else None
            if csrf:
                headers["X-CSRFToken"] = token
        else:
            data = dict(form or {})
            if csrf:
                data["csrf_token"] = token
            kwargs["data"] = data
    return client.open(url, method=row.method, headers=headers, **kwargs), url


def _cases(methods_changing: bool):
    for row in ROWS:
        if (row.method in STATE_CHANGING) != methods_changing:
            continue
        for role in ROLES:
            yield pytest.param(row, role, id=f"{row.id}-{role}")


@pytest.mark.parametrize(("row", "role"), list(_cases(methods_changing=False)))
def test_read(world, row, role):
    """GET, plain and as htmx, on shared objects (GETs change nothing but the audit log)."""
    wanted = {row.expected[role], *row.also}
    # Pages may answer htmx with a partial (or HX-Redirect to sign in): both must be guarded alike.
    # JSON, static and PWA files have no htmx branch.
    page = not (row.endpoint.startswith(("api.", "static", "pwa.", "ops.")) or "_api." in row.endpoint)
    for htmx in (False, True) if page else (False,):
        response, url = _request(world, row, role, lambda: world.objects(fresh=False), csrf=False, htmx=htmx)
        got = outcome(response)
        assert got in wanted, (f"GET {url} as {role} ({PEOPLE.get(role, '-')}){' htmx' if htmx else ''}: "
                               f"expected {row.expected[role]}, got {response.status_code} ({row.why})")


@pytest.mark.parametrize(("row", "role"), list(_cases(methods_changing=True)))
def test_change(world, row, role):
    """A state-changing request with a valid CSRF token, on objects made for this request alone."""
    try:
        response, url = _request(world, row, role, lambda: world.objects(fresh=True), csrf=True)
        got = outcome(response)
        assert got in {row.expected[role], *row.also}, (
            f"{row.method} {url} as {role} ({PEOPLE.get(role, '-')}): expected {row.expected[role]}, "
            f"got {response.status_code} {response.get_data(as_text=True)[:200]!r} ({row.why})")
    finally:
        world.reset_people()


@pytest.mark.parametrize("row", [r for r in ROWS if r.method in STATE_CHANGING and r.variant in ("", "draft",
                                                                                             "level1")],
                         ids=lambda r: r.id)
def test_change_without_csrf_token_is_refused(world, row):
    """ASVS V4.2.2 / V13.2.3: without the token every state change answers 400, whoever asks."""
    problems = []
    for role in ROLES:
        response, url = _request(world, row, role, lambda: world.objects(fresh=False), csrf=False)
        if response.status_code != 400:
            problems.append(f"{role}: {response.status_code}")
    assert not problems, f"{row.method} {row.id} without X-CSRFToken/csrf_token: " + ", ".join(problems)


def test_refused_changes_change_nothing(world):
    """Spot check beyond the status: after the refused requests, anna's shared objects are as made."""
    from app.models import Alert, Incident, Visit

    with world.app.app_context():
        o = world.objects(fresh=False)
        assert db.session.get(Visit, o.visit).state == "active"
        assert db.session.get(Alert, o.sos_alert).state == "open"
        assert db.session.get(Alert, o.overdue_alert).state == "open"
        assert db.session.get(Incident, o.draft).status == "draft"
        assert db.session.get(Incident, o.submitted).status == "submitted"
