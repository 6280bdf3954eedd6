"""Danish first, English too: the locale follows the user's choice, times show in Copenhagen."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, has_request_context, request, session
from flask_login import current_user

APP_DIR = Path(__file__).resolve().parent


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and background threads: the deployment's default (Danish)
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def translation_directories() -> str:
    """Each feature package keeps its own catalogue (app/<feature>/translations); Flask-Babel merges them."""
    dirs = [str(APP_DIR / "translations")]
    dirs += sorted(str(p) for p in APP_DIR.glob("*/translations") if p.is_dir())
    return ";".join(dirs)


def init_app(app: Flask, babel) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", translation_directories())
    babel.init_app(app, locale_selector=select_locale)
