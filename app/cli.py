"""Command-line tools: `flask --app wsgi users ...`, `demo-data`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.extensions import db

users_cli = AppGroup("users", help="Create users, set passwords, deactivate.")


def _clock():
    from app import get_clock

    return get_clock()


@users_cli.command("create")
@click.argument("username")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["staff", "leader", "amr", "admin"]), default="staff")
@click.option("--unit", "unit_name", default=None, help="Unit name (created if missing).")
@click.option("--phone", default="")
@click.option("--email", default="")
@click.password_option()
def create_user_command(username, name, role, unit_name, phone, email, password):
    from app.admin import services
    from app.models import Unit
    from app.passwords import password_problem

    problem = password_problem(password, username, name)
    if problem:
        raise click.ClickException(str(problem))
    unit = None
    if unit_name:
        unit = services.find_unit(db.session, unit_name)
        if unit is None:
            unit = Unit(name=unit_name)
            db.session.add(unit)
    try:
        services.create_user(
            db.session, _clock(), username=username, name=name, password=password,
            role=role, unit=unit, phone=phone, email=email,
        )
    except services.UserError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"created {username}")


@users_cli.command("set-password")
@click.argument("username")
@click.password_option()
def set_password_command(username, password):
    from app.admin import services
    from app.passwords import password_problem

    user = services.find_user(db.session, username)
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    problem = password_problem(password, user.username, user.name)
    if problem:
        raise click.ClickException(str(problem))
    services.set_password(db.session, _clock(), user, password, actor_id=None)
    db.session.commit()
    click.echo(f"password set for {username}; their devices are signed out")


@users_cli.command("deactivate")
@click.argument("username")
def deactivate_command(username):
    from app.admin import services

    user = services.find_user(db.session, username)
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    services.deactivate(db.session, _clock(), user, actor_id=None)
    db.session.commit()
    click.echo(f"deactivated {username}")


@click.command("demo-data")
def demo_data_command():
    """Load the demo unit and users (idempotent)."""
    from app.demo import load_demo_data

    created = load_demo_data()
    click.echo(f"demo data ready ({', '.join(created) if created else 'nothing new'})")


def init_app(app: Flask) -> None:
    from app.serve import serve_command

    app.cli.add_command(serve_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_data_command)
