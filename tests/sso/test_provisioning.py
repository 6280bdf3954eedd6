"""Claims -> person, and the shared provisioning of OpenID Connect and SAML (on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.admin import services as admin
from app.models import AuditEntry, SsoIdentity, Unit, User
from app.sso.claims import RoleMapError, parse_role_map, person_from, role_from
from app.sso.provisioning import DISABLED, LOCAL_ACCOUNT, NO_ROLE, NO_USERNAME, provision

ROLE_MAP = parse_role_map("makker-staff=staff, makker-leaders=leader,makker-amr=amr,CN=Makker Admins=admin")


def person(**claims):
    return person_from(claims, role_claim="groups", role_map=ROLE_MAP, unit_claim="department")


def test_role_map_parsing_and_priority():
    assert ROLE_MAP["CN=Makker Admins"] == "admin"  # split at the last "="
    assert parse_role_map("a=staff,b=LEADER") == {"a": "staff", "b": "leader"}
    with pytest.raises(RoleMapError):
        parse_role_map("a=boss")
    with pytest.raises(RoleMapError):
        parse_role_map("nothing-here")
    assert role_from({"groups": "makker-staff"}, "groups", ROLE_MAP) == "staff"  # a string claim
    assert role_from({"groups": ["makker-staff", "makker-leaders"]}, "groups", ROLE_MAP) == "leader"
    assert role_from({"groups": ["other"]}, "groups", ROLE_MAP) is None
    assert role_from({}, "groups", ROLE_MAP) is None


def test_username_comes_from_preferred_username_then_upn_then_email():
    assert person(preferred_username="Anna.K", upn="x", email="y").username == "anna.k"
    assert person(upn="anna@kommune.dk", email="y@z").username == "anna@kommune.dk"
    assert person(email="a@kommune.dk").username == "a@kommune.dk"
    assert person(given_name="Anna", family_name="Krogh", email="a@k.dk").name == "Anna Krogh"
    assert person(email="a@k.dk", phone_number="+45 11 22 33 44").phone == "+45 11 22 33 44"


def _provision(db, clock, subject="sub-1", **claims):
    outcome = provision(db, clock, provider="oidc", issuer="https://idp.example", subject=subject,
                        person=person(**claims))
    db.commit()
    return outcome


def test_first_sign_in_creates_the_user_in_the_named_unit_then_updates_role_and_unit(app, db, clock):
    with db as session:
        first = _provision(session, clock, preferred_username="karen", name="Karen Mikkelsen",
                           phone_number="+45 30 30 30 30", groups=["makker-staff"], department="Jobcenter Nord")
        assert first.created and first.refused is None
        karen = session.get(User, first.user.id)
        assert (karen.role, karen.unit.name, karen.phone, karen.local_login) == \
            ("staff", "Jobcenter Nord", "+45 30 30 30 30", False)
        assert karen.password_hash == ""
        again = _provision(session, clock, preferred_username="karen", name="Karen Mikkelsen",
                           groups=["makker-leaders"], department="Borgerservice Øst")
        assert not again.created and again.user.id == karen.id
        session.refresh(karen)
        assert karen.role == "leader" and karen.unit.name == "Borgerservice Øst"  # the unit is created
        assert session.execute(select(Unit).where(Unit.name == "Borgerservice Øst")).scalar_one()
        assert session.execute(select(SsoIdentity).where(SsoIdentity.user_id == karen.id)).scalar_one()


def test_unmapped_claims_give_no_account(app, db, clock):
    with db as session:
        outcome = _provision(session, clock, preferred_username="ulla", groups=["someone-else"])
        assert outcome.refused == NO_ROLE and outcome.user is None
        assert admin.find_user(session, "ulla") is None
        refusal = session.execute(select(AuditEntry).where(AuditEntry.action == "sso.refused")).scalar_one()
        assert refusal.detail["reason"] == NO_ROLE


def test_losing_the_group_closes_the_account_and_a_new_group_opens_it_again(app, db, clock):
    with db as session:
        karen = _provision(session, clock, preferred_username="karen", groups="makker-staff").user
        assert _provision(session, clock, preferred_username="karen", groups=[]).refused == NO_ROLE
        session.refresh(karen)
        assert not karen.active and karen.deactivated_reason == "sso"
        back = _provision(session, clock, preferred_username="karen", groups="makker-amr")
        assert back.user.id == karen.id and back.user.active and back.user.role == "amr"


def test_an_account_the_admin_closed_stays_closed(app, db, clock):
    with db as session:
        karen = _provision(session, clock, preferred_username="karen", groups="makker-staff").user
        admin.deactivate(session, clock, karen, actor_id=None)
        session.commit()
        assert _provision(session, clock, preferred_username="karen", groups="makker-staff").refused == DISABLED
        assert not session.get(User, karen.id).active


def test_local_accounts_are_never_taken_over_and_other_accounts_are_linked(app, db, clock):
    with db as session:
        # The demo admin is local (the break-glass account): an IdP user of the same name is refused.
        assert _provision(session, clock, preferred_username="admin", groups="makker-staff").refused == LOCAL_ACCOUNT
        assert admin.find_user(session, "admin").role == "admin"
        bo = admin.find_user(session, "bo")
        bo.local_login = False
        session.commit()
        linked = _provision(session, clock, subject="bo-at-idp", preferred_username="bo", groups="makker-staff")
        assert linked.user.id == bo.id and not linked.created
        assert _provision(session, clock, subject="nobody").refused == NO_USERNAME
