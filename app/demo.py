"""The contract's demo data: unit "Jobcenter Nord" and five users with password "demo". Idempotent."""

from __future__ import annotations

from sqlalchemy import inspect

from app.admin import services
from app.clock import SystemClock
from app.extensions import db
from app.models import Unit

DEMO_UNIT = "Jobcenter Nord"
DEMO_PASSWORD = "demo"
DEMO_USERS = (
    # username, name, role, phone, e-mail
    ("anna", "Anna Jensen", "staff", "+45 20 11 22 01", "anna@jobcenter-nord.example"),
    ("bo", "Bo Nielsen", "staff", "+45 20 11 22 02", "bo@jobcenter-nord.example"),
    ("lene", "Lene Holm", "leader", "+45 20 11 22 03", "lene@jobcenter-nord.example"),
    ("ali", "Ali Hassan", "amr", "+45 20 11 22 04", "ali@jobcenter-nord.example"),
    ("admin", "Administrator", "admin", "+45 20 11 22 05", "admin@jobcenter-nord.example"),
)


def load_demo_data() -> list[str]:
    """Create what is missing; return the usernames created."""
    clock = SystemClock()
    unit = services.find_unit(db.session, DEMO_UNIT)
    if unit is None:
        unit = Unit(name=DEMO_UNIT)
        db.session.add(unit)
        db.session.flush()
    created = []
    for username, name, role, phone, email in DEMO_USERS:
        if services.find_user(db.session, username):
            continue
        services.create_user(
            db.session, clock, username=username, name=name, password=DEMO_PASSWORD,
            role=role, unit=unit, phone=phone, email=email,
        )
        created.append(username)
    if unit.users and not any(u.first_aid_trained for u in unit.users):
        services.find_user(db.session, "ali").first_aid_trained = True
    db.session.commit()
    return created


def load_demo_data_if_schema_ready() -> None:
    if inspect(db.engine).has_table("users"):
        load_demo_data()
