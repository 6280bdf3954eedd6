"""From an identity provider's claims to a Makker person: username, name, phone, role and unit.

The same rules for OpenID Connect claims and SAML attributes (app/sso/saml.py first turns the
well-known attribute names into these claim names). Pure functions, no database."""

from __future__ import annotations

from dataclasses import dataclass

from app.models.org import ROLES

# When several of a person's groups map to roles, the one that may do most wins.
ROLE_PRIORITY = ("admin", "leader", "amr", "staff")
USERNAME_CLAIMS = ("preferred_username", "upn", "email")
MAX_USERNAME = 64


class RoleMapError(ValueError):
    """MAKKER_OIDC_ROLE_MAP cannot be read; the message names the bad part."""


def parse_role_map(text: str | None) -> dict[str, str]:
    """"claim-value=role,..." -> {claim-value: role}. A value may itself hold "=" (an AD group's
    distinguished name): each item is split at its last "="."""
    mapping: dict[str, str] = {}
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        value, sep, role = item.rpartition("=")
        value, role = value.strip(), role.strip().lower()
        if not sep or not value:
            raise RoleMapError(f"MAKKER_OIDC_ROLE_MAP: {item!r} is not claim-value=role")
        if role not in ROLES:
            raise RoleMapError(f"MAKKER_OIDC_ROLE_MAP: {item!r}: the role must be one of {', '.join(ROLES)}")
        mapping[value] = role
    return mapping


def claim_values(claims: dict, name: str) -> list[str]:
    """A claim that may be a string or a list (or absent), as a list of non-empty strings."""
    value = claims.get(name)
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    text = str(value).strip()
    return [text] if text else []


def role_from(claims: dict, role_claim: str, role_map: dict[str, str]) -> str | None:
    """The role the claims give, or None: a person matching no entry of the map gets no access."""
    roles = {role_map[v] for v in claim_values(claims, role_claim) if v in role_map}
    return next((r for r in ROLE_PRIORITY if r in roles), None)


def first(claims: dict, *names: str) -> str:
    for name in names:
        values = claim_values(claims, name)
        if values:
            return values[0]
    return ""


@dataclass(frozen=True)
class Person:
    """What Makker takes from one sign-in's claims."""

    username: str
    name: str
    email: str
    phone: str
    role: str | None
    unit_name: str | None


def person_from(claims: dict, *, role_claim: str, role_map: dict[str, str], unit_claim: str) -> Person:
    username = first(claims, *USERNAME_CLAIMS).lower()
    name = first(claims, "name") or " ".join(
        p for p in (first(claims, "given_name"), first(claims, "family_name")) if p
    )
    return Person(
        username=username,
        name=(name or username)[:120],
        email=first(claims, "email")[:254],
        phone=first(claims, "phone_number")[:32],
        role=role_from(claims, role_claim, role_map),
        unit_name=(first(claims, unit_claim)[:120] or None),
    )
