"""Secrets generated once into instance/ when the environment does not give them."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def _read_or_create(path: Path, make) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    # Write atomically and private: several processes may start at once.
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    try:
        os.link(tmp, path)  # fails if another process won the race
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text().strip()


def secret_key(instance_path: str) -> str:
    return _read_or_create(Path(instance_path) / "secret_key", lambda: secrets.token_urlsafe(48))


def _new_vapid_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def vapid_private_pem(instance_path: str) -> str:
    return _read_or_create(Path(instance_path) / "vapid_private.pem", _new_vapid_pem)


def load_vapid_private_key(value: str) -> ec.EllipticCurvePrivateKey:
    """Accepts a PEM or the raw base64url private scalar (as `vapid` tools print it)."""
    value = value.strip()
    if value.startswith("-----BEGIN"):
        return serialization.load_pem_private_key(value.encode(), password=None)
    raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())


def vapid_public_key_b64(private_key: ec.EllipticCurvePrivateKey) -> str:
    raw = private_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
