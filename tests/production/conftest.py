"""The production setup of deploy/ run for real: the Procfile's gunicorn (deploy/gunicorn.conf.py) and
`flask --app wsgi watchdog` processes on a private PostgreSQL database migrated with
`flask db upgrade heads`, Redis for the rate limits, the keys from deploy/generate-keys.sh.

Needs MAKKER_TEST_DATABASE_URL (PostgreSQL) and, for the web tests, Redis on
MAKKER_TEST_PRODUCTION_REDIS_URL (default redis://127.0.0.1:6379/14, flushed by the tests)."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import PG_URL, private_pg_database

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
REDIS_URL = os.environ.get("MAKKER_TEST_PRODUCTION_REDIS_URL", "redis://127.0.0.1:6379/14")


def procfile() -> dict[str, str]:
    """deploy/Procfile as {process type: command}."""
    entries = {}
    for line in (ROOT / "deploy" / "Procfile").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_-]+):\s*(.+)$", line)
        if match:
            entries[match.group(1)] = match.group(2)
    return entries


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def generated_keys() -> dict[str, str]:
    out = subprocess.run([str(ROOT / "deploy" / "generate-keys.sh")], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=60).stdout
    keys = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    assert set(keys) == {"MAKKER_SECRET_KEY", "MAKKER_VAPID_PRIVATE_KEY"}, out
    return keys


def write_env_file(path: Path, env: dict) -> Path:
    """The MAKKER_* part of `env` as an env file like /etc/makker/makker.env (KEY=value lines)."""
    path.write_text("".join(f"{k}={v}\n" for k, v in env.items() if k.startswith("MAKKER_")))
    return path


def manage(env_file: Path, *args: str, timeout: float = 180) -> str:
    """deploy/manage.sh: a flask command with the production env file, as an operator runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKKER_")}
    env["MAKKER_ENV_FILE"] = str(env_file)
    result = subprocess.run([str(ROOT / "deploy" / "manage.sh"), *args], env=env, cwd="/",
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"manage.sh {' '.join(args)}:\n{result.stdout}\n{result.stderr[-3000:]}"
    return result.stdout


class Process:
    """A process started from a Procfile line, its output in a file (never an unread pipe)."""

    def __init__(self, name: str, command: str, env: dict, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        argv = shlex.split(command)
        argv[0] = str(BIN / argv[0])  # the virtualenv's gunicorn / flask, as the units use
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM, as systemd's KillSignal= and the Procfile runners send it; the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._log.close()


class Stack:
    """Starts web and watchdog processes from deploy/Procfile with one environment; stops them all."""

    def __init__(self, env: dict, log_dir: Path):
        self.env = env
        self.log_dir = log_dir
        self.commands = procfile()
        self.processes: list[Process] = []

    def start(self, process_type: str, **extra_env: str) -> Process:
        process = Process(process_type, self.commands[process_type], {**self.env, **extra_env}, self.log_dir)
        self.processes.append(process)
        return process

    def kill_all(self) -> None:
        for process in self.processes:
            process.kill()


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def wait_http(url: str, process: Process, timeout: float = 60) -> None:
    def ready():
        assert process.alive(), f"{process.name} exited:\n{process.log()[-3000:]}"
        try:
            return requests.get(url, timeout=2).status_code == 200
        except requests.RequestException:
            return False

    wait_until(ready, timeout, url)


def redis_client():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    return client


@pytest.fixture(scope="session")
def production_keys():
    return generated_keys()


@pytest.fixture(scope="session")
def production_db(tmp_path_factory, production_keys):
    """A private PostgreSQL database set up as an operator would (deploy/manage.sh with an env file):
    `flask db upgrade heads`, then `flask demo-data`. Shared by the tests of this directory (each looks only at its own rows)."""
    if not PG_URL:
        pytest.skip("the production tests need PostgreSQL: set MAKKER_TEST_DATABASE_URL")
    with private_pg_database("makker_prod") as url:
        directory = tmp_path_factory.mktemp("prod-setup")
        env_file = write_env_file(directory / "makker.env", base_env(url, directory / "instance", production_keys))
        manage(env_file, "db", "upgrade", "heads")
        assert "demo data ready" in manage(env_file, "demo-data")
        yield url


def base_env(url: str, instance: Path, keys: dict) -> dict:
    """The environment of deploy/makker.env.example, for a test: fast ladder, no outside services."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKKER_")}
    env.update(keys)
    env.update({
        "MAKKER_DATABASE_URL": url,
        "MAKKER_INSTANCE_PATH": str(instance),
        "MAKKER_DEMO": "0",
        "MAKKER_EMBEDDED_WATCHDOG": "0",
        "PYTHONUNBUFFERED": "1",
    })
    return env
