"""`flask --app wsgi i18n update|compile|check`: Danish catalogues, one per feature package.

English is the source language (msgids), Danish the first language of the UI. A feature X owns
app/X/**.py and templates/X/**.html and keeps its catalogue in app/X/translations; everything else
belongs to the core catalogue in app/translations."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import click
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask.cli import AppGroup

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
TEMPLATES = ROOT / "templates"
METHODS = [("**.py", "python"), ("**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "_n": (1, 2)}

i18n_cli = AppGroup("i18n", help="Translation catalogues.")


def features() -> list[str]:
    return sorted(p.parent.name for p in APP.glob("*/__init__.py") if (TEMPLATES / p.parent.name).is_dir()
                  or (APP / p.parent.name / "translations").is_dir())


def sources(feature: str | None) -> list[Path]:
    if feature:
        return [p for p in (APP / feature, TEMPLATES / feature) if p.exists()]
    return [APP, TEMPLATES]


def catalogue_dir(feature: str | None) -> Path:
    return (APP / feature / "translations") if feature else (APP / "translations")


def extract(feature: str | None) -> dict[str, tuple]:
    """msgid -> locations, for a feature (or the core: everything no feature owns)."""
    owned = {f for f in features()} if feature is None else set()
    found: dict[str, tuple] = {}
    for base in sources(feature):
        for filename, lineno, message, _comments, _ctx in extract_from_dir(
            base, METHODS, keywords=KEYWORDS, options_map={"**.html": {"extensions": "jinja2.ext.i18n"}}
        ):
            top = Path(filename).parts[0]
            if feature is None and top in owned:
                continue
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found.setdefault(msgid, (str(base / filename), lineno))
    return found


def all_danish() -> dict[str, str]:
    translations: dict[str, str] = {}
    for po in sorted(APP.glob("**/translations/da/LC_MESSAGES/messages.po")):
        with po.open("rb") as fh:
            for message in read_po(fh):
                if message.id and not message.fuzzy:
                    key = message.id[0] if isinstance(message.id, tuple) else message.id
                    value = message.string[0] if isinstance(message.string, tuple) else message.string
                    if value:
                        translations[key] = value
    return translations


def missing_danish() -> list[tuple[str, tuple]]:
    danish = all_danish()
    return sorted((msgid, where) for msgid, where in extract(None).items() if msgid not in danish) + sorted(
        (msgid, where) for f in features() for msgid, where in extract(f).items() if msgid not in danish
    )


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True)


@i18n_cli.command("update")
@click.argument("feature", required=False)
def update_command(feature: str | None):
    """Extract messages of FEATURE (or the core) and merge them into its Danish catalogue."""
    target = catalogue_dir(feature)
    po = target / "da" / "LC_MESSAGES" / "messages.po"
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        args = ["extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext", "--no-wrap",
                "--sort-by-file", "-o", str(pot)]
        if feature is None:
            for f in features():
                args += ["--ignore-dirs", f]
        _pybabel(*args, *[str(s) for s in sources(feature)])
        if po.exists():
            _pybabel("update", "-i", str(pot), "-d", str(target), "-l", "da", "--no-wrap", "--ignore-obsolete")
        else:
            _pybabel("init", "-i", str(pot), "-d", str(target), "-l", "da", "--no-wrap")
    click.echo(f"updated {po.relative_to(ROOT)}")


@i18n_cli.command("check")
def check_command():
    """List UI strings without a Danish translation (exit 1 if any)."""
    missing = missing_danish()
    for msgid, (path, line) in missing:
        click.echo(f"{path}:{line}: {msgid}")
    if missing:
        raise SystemExit(1)
    click.echo("every UI string has a Danish translation")


@i18n_cli.command("translate")
@click.argument("feature", required=False)
def translate_command(feature: str | None):
    """Set Danish translations of FEATURE from stdin: one `English<TAB>Danish` pair per line."""
    from babel.messages.pofile import write_po

    po = catalogue_dir(feature) / "da" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as fh:
        catalog = read_po(fh)
    pairs = [line.rstrip("\n").split("\t", 1) for line in sys.stdin if "\t" in line]
    unknown = []
    for english, danish in pairs:
        message = catalog.get(english)
        if message is None:
            unknown.append(english)
            continue
        message.string = danish
        message.flags.discard("fuzzy")
    with po.open("wb") as fh:
        write_po(fh, catalog, width=0, sort_by_file=True)
    click.echo(f"{len(pairs) - len(unknown)} translated in {po.relative_to(ROOT)}")
    for english in unknown:
        click.echo(f"not in the catalogue (run i18n update first): {english}", err=True)
