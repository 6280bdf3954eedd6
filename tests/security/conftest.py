"""One application per test module for the security tests, with the people and objects they need.

The people (each with an ambulance letter, so their "my letter" endpoints have something to act on):
- anna (staff, Jobcenter Nord): owns every object below; bo is her buddy.
- bo (staff, Nord): anna's buddy, so the responder of her alerts.
- carl (staff, Nord): a colleague in the same unit who is not involved.
- lene (leader, Nord), ali (AMR, Nord), admin: from the demo data.
- dina (staff) and sofie (leader) of another unit, Jobcenter Syd.

`World.objects(fresh=...)` makes anna's objects lazily: a running visit, a visit with an overdue
(level 1) alert, a visit with an SOS (level 2) alert, an incident draft and a submitted incident, a
push subscription, a second signed-in device, and for the admin screens a throwaway user and unit,
a local mail message and a push confirmation link. GET requests share one set; every state-changing
request gets objects of its own, so no request's effect leaks into another test.
"""

from __future__ import annotations

import base64
import os
import uuid
from datetime import timedelta
from functools import cached_property

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select, update

from app import create_app
from app.admin import services as admin_services
from app.alerts import services as alert_services
from app.auth import sessions
from app.clock import FakeClock
from app.extensions import db
from app.help import services as help_services
from app.incidents import services as incident_services
from app.models import Alert, MailSinkMessage, Unit, User
from app.push import services as push_services
from app.visits import services as visit_services
from tests.conftest import PG_URL, private_pg_database

PEOPLE = {
    # role in the matrix -> username
    "owner": "anna",
    "colleague": "carl",
    "buddy": "bo",
    "other_unit": "dina",
    "leader": "lene",
    "amr": "ali",
    "other_leader": "sofie",
    "admin": "admin",
}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def browser_keys() -> tuple[str, str]:
    """What a browser's PushSubscription carries: a P-256 public key and 16 random bytes."""
    public = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return _b64url(public), _b64url(os.urandom(16))


class Objects:
    """anna's objects, made on first use (inside an app context) and committed at once."""

    def __init__(self, world: World):
        self.world = world
        self.n = next(world.counter)

    def user(self, username: str) -> User:
        return admin_services.find_user(db.session, username)

    @property
    def clock(self):
        return self.world.clock

    def _visit(self, minutes: int = 120):
        plan = visit_services.VisitPlan(id=str(uuid.uuid4()), planned_end=self.clock.now() + timedelta(minutes=minutes),
                                        buddy=self.user("bo"), place="Vestergade 1, 2. th")
        visit, _ = visit_services.start(db.session, self.clock, self.user("anna"), plan)
        db.session.commit()
        return visit

    @cached_property
    def visit(self) -> str:
        """A running visit of anna, no alert."""
        return self._visit().id

    def _alerted(self, reason: str) -> tuple[str, str]:
        visit = self._visit()
        alert = alert_services.raise_alert(db.session, self.clock, self.user("anna"), reason=reason, visit=visit)
        db.session.commit()
        return visit.id, alert.id

    @cached_property
    def _overdue(self) -> tuple[str, str]:
        return self._alerted("overdue")

    @cached_property
    def _sos(self) -> tuple[str, str]:
        return self._alerted("sos")

    @property
    def overdue_visit(self) -> str:
        return self._overdue[0]

    @property
    def overdue_alert(self) -> str:
        """Level 1: only the buddy responds."""
        return self._overdue[1]

    @property
    def sos_visit(self) -> str:
        return self._sos[0]

    @property
    def sos_alert(self) -> str:
        """Level 2 at once: the buddy and the unit's leader and AMR respond."""
        return self._sos[1]

    def _incident(self, submit: bool) -> str:
        anna = self.user("anna")
        incident, _ = incident_services.create_draft(
            db.session, self.clock, anna, str(uuid.uuid4()),
            {"kind": "threat", "context": "in_person", "place": "Borgerens hjem",
             "description": "Borgeren truede med at slå."})
        if submit:
            incident_services.submit(db.session, self.clock, anna, incident)
        db.session.commit()
        return incident.id

    @cached_property
    def draft(self) -> str:
        return self._incident(submit=False)

    @cached_property
    def submitted(self) -> str:
        return self._incident(submit=True)

    @cached_property
    def subscription(self) -> int:
        p256dh, auth = browser_keys()
        sub, _ = push_services.subscribe(
            db.session, self.clock, self.user("anna"), endpoint=f"https://fcm.googleapis.com/fcm/send/{uuid.uuid4()}",
            p256dh=p256dh, auth=auth, user_agent="Matrix phone", allowed_hosts=("fcm.googleapis.com",))
        db.session.commit()
        return sub.id

    @cached_property
    def device(self) -> str:
        """Another signed-in device (session) of anna."""
        row = sessions.start(db.session, self.user("anna"), self.clock, stay_signed_in=True,
                             user_agent="anna's other phone", ip="127.0.0.1")
        db.session.commit()
        return row.id

    @cached_property
    def anna_id(self) -> int:
        return self.user("anna").id

    @cached_property
    def unit_id(self) -> int:
        return self.user("anna").unit_id

    @cached_property
    def throwaway_unit(self) -> int:
        unit = Unit(name=f"Matrix unit {self.n}")
        db.session.add(unit)
        db.session.commit()
        return unit.id

    @cached_property
    def throwaway_user(self) -> int:
        """A staff member of the throwaway unit: admin actions (deactivate, password) hit nobody else."""
        unit = db.session.get(Unit, self.throwaway_unit)
        user = admin_services.create_user(db.session, self.clock, username=f"matrix{self.n}", name="Matrix Person",
                                          password="not used", unit=unit)
        db.session.commit()
        return user.id

    @cached_property
    def _drill(self) -> tuple[str, str]:
        """Lene's drill for bo (a person drill of anna's unit): started directly, since anna's open
        alerts would (rightly) refuse a new drill through the planner."""
        from app.drills import services as drill_services

        lene = self.user("lene")
        plan = drill_services.Plan("person", lene.unit, lene, [[(self.user("bo"), 1)]])
        drill = drill_services.start(db.session, self.clock, lene, plan)
        db.session.commit()
        alert_id = db.session.execute(select(Alert.id).where(Alert.drill_id == drill.id)).scalar_one()
        return drill.id, alert_id

    @property
    def drill(self) -> str:
        return self._drill[0]

    @property
    def drill_alert(self) -> str:
        """The drill's alarm: bo's alone (lene started it, so she is its "worker")."""
        return self._drill[1]

    @cached_property
    def mail_message(self) -> int:
        message = MailSinkMessage(created_at=self.clock.now(), to_addr="anna@jobcenter-nord.example",
                                  subject="Test", body="Hej", size=3)
        db.session.add(message)
        db.session.commit()
        return message.id

    @cached_property
    def confirm_token(self) -> str:
        anna = self.user("anna")
        return push_services.confirm_token(self.world.app.secret_key, anna.id, "sms", anna.phone)


class World:
    def __init__(self, app, clock: FakeClock):
        import itertools

        self.app, self.clock = app, clock
        self.counter = itertools.count(1)
        self._shared: Objects | None = None
        self._clients: dict = {}

    def client(self, role: str, *, shared: bool):
        """A client for `role` ("anonymous" or a key of PEOPLE) and its CSRF token; a shared one is
        kept for the module (for requests that change nothing), else a new session every time."""
        if shared and role in self._clients:
            return self._clients[role]
        made = self.anonymous() if role == "anonymous" else self.sign_in(PEOPLE[role])
        if shared:
            self._clients[role] = made
        return made

    def objects(self, *, fresh: bool) -> Objects:
        """Call inside an app context. Fresh objects are made a second later than any before them,
        so anna's newest running visit is always a fresh one."""
        if not fresh:
            if self._shared is None:
                self._shared = Objects(self)
            return self._shared
        self.clock.advance(1)
        return Objects(self)

    def reset_people(self) -> None:
        """Undo what a state-changing request may have changed on the fixed people themselves."""
        with self.app.app_context():
            db.session.execute(
                update(User).where(User.username.in_(list(PEOPLE.values())))
                .values(checkout_pin_hash=None, duress_pin_hash=None, locale="da", active=True)
            )
            db.session.commit()

    def sign_in(self, username: str):
        """A test client with a server-side session of its own for `username`, and its CSRF token."""
        client = self.app.test_client()
        with self.app.app_context():
            user = admin_services.find_user(db.session, username)
            row = sessions.start(db.session, user, self.clock, stay_signed_in=True, user_agent="matrix",
                                 ip="127.0.0.1")
            db.session.commit()
            sid, uid = row.id, user.id
        with client.session_transaction() as session:
            session["sid"] = sid
            session["_user_id"] = str(uid)
            session["_fresh"] = True
        me = client.get("/api/v1/me")
        assert me.status_code == 200, (username, me.status_code)
        return client, me.get_json()["csrf_token"]

    def anonymous(self):
        import re

        client = self.app.test_client()
        page = client.get("/login").get_data(as_text=True)
        return client, re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _populate(clock: FakeClock) -> None:
    from app.demo import load_demo_data

    load_demo_data()
    nord = admin_services.find_unit(db.session, "Jobcenter Nord")
    syd = Unit(name="Jobcenter Syd")
    db.session.add(syd)
    db.session.flush()
    for username, name, role, unit in (("carl", "Carl Berg", "staff", nord), ("dina", "Dina Lund", "staff", syd),
                                       ("sofie", "Sofie Krog", "leader", syd)):
        admin_services.create_user(db.session, clock, username=username, name=name, password="demo", role=role,
                                   unit=unit, phone="+45 20 11 22 99")
    db.session.commit()
    for username in PEOPLE.values():
        user = admin_services.find_user(db.session, username)
        help_services.save_letter(db.session, clock, user, [help_services.ContactInput(
            name="Pårørende", relation="Ægtefælle", phone="+45 40 50 60 70")], "")
    db.session.commit()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request, tmp_path_factory):
    """One app and its data for the whole module, on SQLite and (with MAKKER_TEST_DATABASE_URL) PostgreSQL."""
    from contextlib import ExitStack

    tmp = tmp_path_factory.mktemp("security")
    clock = FakeClock()
    with ExitStack() as stack:
        if request.param == "postgres":
            if not PG_URL:
                pytest.skip("MAKKER_TEST_DATABASE_URL is not set")
            url = stack.enter_context(private_pg_database("makker_sec"))
        else:
            url = f"sqlite:///{tmp / 'security.sqlite3'}"
        config = {
            "TESTING": True, "INSTANCE_PATH": str(tmp / "instance"), "SECRET_KEY": "security-test-secret",
            "CLOCK": clock, "RATELIMIT_ENABLED": False, "PUSH_ALLOWED_HOSTS": ("fcm.googleapis.com",),
            "DEMO": False, "SQLALCHEMY_DATABASE_URI": url,
        }
        if request.param == "postgres":
            # A throwaway database: no need to wait for the disk at each of the ~3,000 commits.
            config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"options": "-c synchronous_commit=off"}}
        app = create_app(config)
        with app.app_context():
            db.create_all()
            _populate(clock)
        try:
            yield World(app, clock)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
