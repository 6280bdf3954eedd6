"""Makker: safety on home visits. `create_app` is the one way to build the application."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from app import config as config_module
from app.clock import SystemClock

ROOT = Path(__file__).resolve().parent.parent

# Feature blueprints, each a package with routes.py exposing `bp` (microblog style).
FEATURES = (
    "app.auth",
    "app.main",
    "app.account",
    "app.admin",
    "app.visits",
    "app.alerts",
    "app.incidents",
    "app.help",
    "app.push",
    "app.pwa",
    "app.ops",
    "app.retention",
    "app.drills",
    "app.stats",
    "app.sso",
    "app.reauth",
    "app.handover",
    "app.live",
    "app.api",
)


def create_app(config: dict | None = None) -> Flask:
    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get(
        "MAKKER_INSTANCE_PATH", str(ROOT / "instance")
    )
    app = Flask(
        __name__,
        instance_path=instance_path,
        static_folder=str(ROOT / "static"),
        template_folder=str(ROOT / "templates"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_object(config_module.Defaults)
    app.config.update(config_module.from_environment(app.instance_path))
    app.config.update(config or {})

    from app import keys

    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = keys.secret_key(app.instance_path)
    if not app.config.get("VAPID_PRIVATE_KEY"):
        app.config["VAPID_PRIVATE_KEY"] = keys.vapid_private_pem(app.instance_path)

    app.extensions["makker.clock"] = app.config.get("CLOCK") or SystemClock()

    from app import cli, database, errors, i18n, security, templating
    from app.extensions import babel, csrf, db, htmx, limiter, login_manager, migrate

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A copy: Defaults' dict is shared between apps.
        # The outbox sends from up to 16 threads: keep their connections instead of reopening them.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 15}, "pool_size": 20}
    db.init_app(app)
    database.init_app(app, db)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app, babel)
    login_manager.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    from app.catalogs import i18n_cli

    app.cli.add_command(i18n_cli)

    import importlib
    import importlib.util

    for name in FEATURES:
        # routes.py holds the pages; an optional api.py holds the feature's /api/v1 endpoints.
        for part in ("routes", "api"):
            if part == "api" and importlib.util.find_spec(f"{name}.api") is None:
                continue
            module = importlib.import_module(f"{name}.{part}")
            app.register_blueprint(module.bp)
            if hasattr(module, "init_app"):
                module.init_app(app)

    if app.config.get("PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)

    if app.config.get("DEMO"):
        with app.app_context():
            from app.demo import load_demo_data_if_schema_ready

            load_demo_data_if_schema_ready()
    return app


def get_clock():
    from flask import current_app

    return current_app.extensions["makker.clock"]
