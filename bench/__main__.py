"""`python -m bench` (make bench): every benchmark in bench/ at its quick size, one process each.

    .venv/bin/python -m bench [--full]

pwa_budget is left out: it needs Chromium and Lighthouse (npx); run it on its own."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# module -> (quick arguments, full arguments). push_dispatch has no --quick: fewer pushes instead.
BENCHMARKS = {
    "watchdog_latency": (["--quick"], []),
    "push_dispatch": (["--pushes", "300", "--users", "30", "--rounds", "3"], []),
    # Needs PostgreSQL, Redis and wrk; about 1.5 minutes quick (a killed watchdog's 15 s lease included).
    "production": (["--quick", "--skip-unavailable"], ["--skip-unavailable"]),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="full sizes (minutes) instead of --quick")
    args = parser.parse_args()
    failed = []
    for name, (quick, full) in BENCHMARKS.items():
        command = [sys.executable, "-m", f"bench.{name}", *(full if args.full else quick)]
        print(f"\n=== {' '.join(['python', *command[1:]])}", flush=True)
        started = time.monotonic()
        code = subprocess.call(command, cwd=ROOT)
        print(f"=== bench.{name}: exit {code} after {time.monotonic() - started:.0f} s", flush=True)
        if code != 0:
            failed.append(name)
    print("\n=== pwa_budget skipped: it needs Chromium and Lighthouse; run "
          "`.venv/bin/python bench/pwa_budget.py` (or with --no-lighthouse for the byte budget only)")
    if failed:
        print(f"=== failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
