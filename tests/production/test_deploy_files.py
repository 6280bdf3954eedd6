"""The files in deploy/ are valid for the tools that read them: bash (and shellcheck), systemd, nginx,
gunicorn. Each check runs when its tool is installed and says so when it is not."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.production.conftest import ROOT, procfile

DEPLOY = ROOT / "deploy"
SCRIPTS = sorted(DEPLOY.glob("*.sh"))


def run(*argv: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=60, **kwargs)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_parse_and_are_executable(script):
    assert script.stat().st_mode & 0o111, f"{script.name} is not executable"
    result = run("bash", "-n", str(script))
    assert result.returncode == 0, result.stderr


def test_scripts_pass_shellcheck():
    if not shutil.which("shellcheck"):
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    result = run("shellcheck", *map(str, SCRIPTS))
    assert result.returncode == 0, result.stdout


def test_systemd_units_verify(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    units = []
    for unit in sorted((DEPLOY / "systemd").iterdir()):
        text = unit.read_text().replace("/opt/makker", str(ROOT))  # the install path, here: this checkout
        name = unit.name.replace("@.service", "@1.service")
        (tmp_path / name).write_text(text)
        units.append(str(tmp_path / name))
    result = run("systemd-analyze", "verify", *units, cwd=tmp_path)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_nginx_configuration_is_accepted(tmp_path):
    if not shutil.which("nginx"):
        pytest.skip("nginx is not installed (apt-get install nginx)")
    key, cert = tmp_path / "privkey.pem", tmp_path / "fullchain.pem"
    made = run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
               "-days", "1", "-subj", "/CN=makker.test")
    assert made.returncode == 0, made.stderr
    conf = (DEPLOY / "nginx" / "makker.conf").read_text()
    conf = conf.replace("/etc/ssl/makker", str(tmp_path)).replace("/var/cache/nginx/makker", str(tmp_path / "cache"))
    (tmp_path / "makker.conf").write_text(conf)
    mime = Path("/etc/nginx/mime.types")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\nhttp {{\n"
        + (f"  include {mime};\n" if mime.exists() else "")
        + f"  access_log off;\n  client_body_temp_path {tmp_path}/body;\n  proxy_temp_path {tmp_path}/proxy;\n"
        f"  include {tmp_path}/makker.conf;\n}}\n")
    result = run("nginx", "-t", "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log"))
    assert result.returncode == 0 and "test is successful" in result.stderr, result.stderr


def test_gunicorn_reads_the_configuration_from_the_environment():
    script = (
        "from gunicorn.app.wsgiapp import WSGIApplication\n"
        "import sys\n"
        "sys.argv = ['gunicorn', '--config', 'deploy/gunicorn.conf.py', 'wsgi:app']\n"
        "a = WSGIApplication()\n"
        "c = a.cfg\n"
        "print(c.worker_class_str, c.workers, c.threads, c.bind, c.preload_app, c.max_requests,"
        " c.max_requests_jitter, c.forwarded_allow_ips, c.graceful_timeout)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "MAKKER_WEB_WORKERS": "3", "MAKKER_WEB_THREADS": "5",
           "MAKKER_WEB_BIND": "127.0.0.1:8123", "MAKKER_FORWARDED_ALLOW_IPS": "10.0.0.5"}
    result = run(sys.executable, "-c", script, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["gthread", "3", "5", "['127.0.0.1:8123']", "False", "0", "0",
                                     "['10.0.0.5']", "30"], result.stdout


def test_procfile_has_the_web_and_two_watchdogs():
    entries = procfile()
    assert entries["web"] == "gunicorn --config deploy/gunicorn.conf.py wsgi:app"
    assert [k for k in entries if k.startswith("watchdog")] == ["watchdog1", "watchdog2"]
    assert all(v.startswith("flask --app wsgi watchdog") for k, v in entries.items() if k != "web")


def test_env_example_names_every_production_setting():
    """Every MAKKER_* variable app/config.py reads appears in deploy/makker.env.example (commented out
    or set), except the development-only ones."""
    import re

    read = set(re.findall(r'"(MAKKER_[A-Z_]+)"', (ROOT / "app" / "config.py").read_text()))
    example = (DEPLOY / "makker.env.example").read_text()
    development_only = {"MAKKER_TEST_DATABASE_URL"}
    missing = sorted(name for name in read - development_only if name not in example)
    assert not missing, missing
