#!/usr/bin/env bash
# Print a new MAKKER_SECRET_KEY and MAKKER_VAPID_PRIVATE_KEY (one line each, for the env file).
# Run ONCE per installation and keep the result in your secret store: every web host needs the same
# two values, and changing them later signs everybody out / breaks every push subscription.
#   deploy/generate-keys.sh >> /etc/makker/makker.env   (then remove the CHANGE-ME lines)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
"$PYTHON" - <<'PY'
import base64
import secrets

from cryptography.hazmat.primitives.asymmetric import ec

key = ec.generate_private_key(ec.SECP256R1())
raw = key.private_numbers().private_value.to_bytes(32, "big")
print(f"MAKKER_SECRET_KEY={secrets.token_urlsafe(48)}")
# The raw base64url private scalar: one line, which EnvironmentFile= and .env files need.
print(f"MAKKER_VAPID_PRIVATE_KEY={base64.urlsafe_b64encode(raw).rstrip(b'=').decode()}")
PY
