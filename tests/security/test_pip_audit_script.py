""".ci/pip-audit (ASVS V14.2.1): fails on known vulnerabilities, warns (exit 0) only when the
vulnerability data cannot be reached. pip-audit itself is replaced by a stand-in that writes the
report pip-audit would write, so each case is checked without a network."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / ".ci" / "pip-audit"

CLEAN = {"dependencies": [{"name": "flask", "version": "3.1.0", "vulns": []},
                          {"name": "jinja2", "version": "3.1.6", "vulns": []}], "fixes": []}
VULNERABLE = {"dependencies": [
    {"name": "flask", "version": "3.1.0", "vulns": []},
    {"name": "jinja2", "version": "3.1.4", "vulns": [
        {"id": "GHSA-q2x7-8rv6-6q7h", "fix_versions": ["3.1.5"], "aliases": ["CVE-2024-56201"],
         "description": "sandbox breakout"}]},
], "fixes": []}
UNREACHABLE = {"dependencies": [
    {"name": "flask", "skip_reason": "Dependency not found on PyPI and could not be audited: flask (3.1.0)"},
    {"name": "jinja2", "skip_reason": "Dependency not found on PyPI and could not be audited: jinja2 (3.1.6)"},
], "fixes": []}


def _run(tmp_path, report: dict | None, *, exit_code: int = 0, stderr: str = "") -> subprocess.CompletedProcess:
    fake = tmp_path / "pip-audit"
    report_file = tmp_path / "report.json"
    if report is not None:
        report_file.write_text(json.dumps(report))
    fake.write_text(f"""#!/usr/bin/env bash
out=""
while [ $# -gt 0 ]; do
  if [ "$1" = "--output" ]; then out="$2"; shift; fi
  shift
done
{'cp ' + str(report_file) + ' "$out"' if report is not None else ':'}
printf '%s' {json.dumps(stderr)} >&2
exit {exit_code}
""")
    fake.chmod(0o755)
    return subprocess.run(["bash", str(SCRIPT)], cwd=ROOT, env={**os.environ, "PIP_AUDIT": str(fake)},
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.fixture(autouse=True)
def _needs_the_script():
    assert SCRIPT.exists() and os.access(SCRIPT, os.X_OK)


def test_clean_environment_passes(tmp_path):
    result = _run(tmp_path, CLEAN)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no known vulnerabilities in 2 audited packages" in result.stdout


def test_a_known_vulnerability_fails_and_names_the_fix(tmp_path):
    result = _run(tmp_path, VULNERABLE, exit_code=1)
    assert result.returncode == 1
    assert "jinja2 3.1.4: GHSA-q2x7-8rv6-6q7h (CVE-2024-56201); fixed in: 3.1.5" in result.stdout


def test_nothing_audited_is_a_warning_not_a_pass(tmp_path):
    """What this machine's package index gives: the per-version JSON API answers 404, pip-audit skips
    every package and says "No known vulnerabilities found"; the script must not call that clean."""
    result = _run(tmp_path, UNREACHABLE)
    assert result.returncode == 0
    assert "WARNING" in result.stdout and "NOTHING WAS AUDITED" in result.stdout
    assert "no known vulnerabilities" not in result.stdout


def test_network_failure_is_a_warning(tmp_path):
    result = _run(tmp_path, None, exit_code=1,
                  stderr="requests.exceptions.ConnectionError: HTTPSConnectionPool(host='pypi.org'): "
                         "Max retries exceeded")
    assert result.returncode == 0
    assert "could not be reached" in result.stdout


def test_other_failures_fail(tmp_path):
    result = _run(tmp_path, None, exit_code=2, stderr="pip-audit: error: unrecognized arguments")
    assert result.returncode != 0
