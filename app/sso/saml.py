"""SAML 2.0 with python3-saml (on xmlsec) for AD FS and KOMBIT's Context Handler.

Makker is the service provider: metadata at /login/saml/metadata, a signed AuthnRequest (HTTP-Redirect,
RSA-SHA256), the assertion consumer service at /login/saml/acs (HTTP-POST). The identity provider
comes from its metadata file (MAKKER_SAML_IDP_METADATA). python3-saml checks the signature (the
assertion must be signed), audience, destination, recipient, InResponseTo and the time window (with
its allowed clock drift); Makker also answers each AuthnRequest only once and only within
REQUEST_LIFETIME. Attributes are turned into the claim names of app/sso/claims.py, so the role and
unit rules are the ones of OpenID Connect."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask import Flask, current_app, request
from lxml import etree
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.settings import OneLogin_Saml2_Settings

from app.keys import _read_or_create
from app.sso.oidc import base_url

REQUEST_LIFETIME = timedelta(minutes=10)
PROVIDER = "saml"

# Well-known attribute names (AD FS claim types, LDAP OIDs, KOMBIT) -> the claim names Makker reads.
ALIASES = {
    "preferred_username": ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
                           "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/windowsaccountname",
                           "urn:oid:0.9.2342.19200300.100.1.1", "uid", "upn"),
    "email": ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
              "urn:oid:0.9.2342.19200300.100.1.3", "mail"),
    "name": ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
             "http://schemas.microsoft.com/identity/claims/displayname", "urn:oid:2.16.840.1.113730.3.1.241",
             "displayName", "urn:oid:2.5.4.3", "cn"),
    "given_name": ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname", "urn:oid:2.5.4.42"),
    "family_name": ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname", "urn:oid:2.5.4.4"),
    "phone_number": ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/mobilephone",
                     "urn:oid:0.9.2342.19200300.100.1.41", "mobile", "urn:oid:2.5.4.20", "telephoneNumber"),
    "groups": ("http://schemas.xmlsoap.org/claims/Group", "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
               "http://schemas.microsoft.com/ws/2008/06/identity/claims/role", "urn:oid:1.3.6.1.4.1.5923.1.5.1.1"),
    "department": ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/department", "urn:oid:2.5.4.11",
                   "ou"),
}
# KOMBIT's Context Handler sends the user's system roles as a base64-encoded PrivilegeList.
KOMBIT_PRIVILEGES = "dk:gov:saml:attribute:Privileges_intermediate"


def enabled(app: Flask | None = None) -> bool:
    return bool((app or current_app).config.get("SAML_IDP_METADATA"))


def _self_signed() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Makker SAML SP")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650)).sign(key, hashes.SHA256()))
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode(),
            cert.public_bytes(serialization.Encoding.PEM).decode())


def sp_key_pair(app: Flask) -> tuple[str, str]:
    """The SP's signing key and certificate: MAKKER_SAML_SP_KEY/_CERT (PEM files), else made once into
    the instance folder."""
    key_file, cert_file = app.config.get("SAML_SP_KEY"), app.config.get("SAML_SP_CERT")
    if key_file and cert_file:
        return Path(key_file).read_text(), Path(cert_file).read_text()
    instance = Path(app.instance_path)
    pair: dict = {}

    def make(part: str) -> str:
        if not pair:
            pair["key"], pair["cert"] = _self_signed()
        return pair[part]

    key = _read_or_create(instance / "saml_sp_key.pem", lambda: make("key"))
    if not (instance / "saml_sp_cert.pem").exists() and not pair:
        raise RuntimeError("instance/saml_sp_key.pem exists without saml_sp_cert.pem: remove it or set "
                           "MAKKER_SAML_SP_KEY and MAKKER_SAML_SP_CERT")
    cert = _read_or_create(instance / "saml_sp_cert.pem", lambda: make("cert"))
    return key, cert


@lru_cache(maxsize=8)
def _idp(path: str, mtime: float) -> dict:
    parsed = OneLogin_Saml2_IdPMetadataParser.parse(Path(path).read_text(encoding="utf-8"),
                                                    required_sso_binding=C.BINDING_HTTP_REDIRECT)
    if "idp" not in parsed:
        raise RuntimeError(f"MAKKER_SAML_IDP_METADATA: no IdP with an HTTP-Redirect sign-on service in {path}")
    return parsed


def idp_metadata(app: Flask) -> dict:
    path = app.config["SAML_IDP_METADATA"]
    return _idp(path, Path(path).stat().st_mtime)


def init_app(app: Flask) -> None:
    if not enabled(app):
        return
    idp_metadata(app)  # a missing or unreadable file stops the start with a clear error
    app.extensions["makker.saml_sp"] = sp_key_pair(app)


def settings() -> OneLogin_Saml2_Settings:
    base = base_url()
    key, cert = current_app.extensions["makker.saml_sp"]
    parsed = idp_metadata(current_app)
    data = {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": base + "/login/saml/metadata",
            "assertionConsumerService": {"url": base + "/login/saml/acs", "binding": C.BINDING_HTTP_POST},
            "NameIDFormat": parsed.get("sp", {}).get("NameIDFormat", C.NAMEID_UNSPECIFIED),
            "x509cert": cert,
            "privateKey": key,
        },
        "idp": parsed["idp"],
        "security": {
            "authnRequestsSigned": True,
            "wantAssertionsSigned": True,
            "wantMessagesSigned": False,  # AD FS signs the assertion; the assertion is what counts
            "wantNameId": True,
            "wantAttributeStatement": False,
            "requestedAuthnContext": False,  # the IdP (KOMBIT: NSIS level) decides how people sign in
            "signatureAlgorithm": C.RSA_SHA256,
            "digestAlgorithm": C.SHA256,
            "rejectDeprecatedAlgorithm": True,
            "signMetadata": False,
        },
    }
    return OneLogin_Saml2_Settings(data, sp_validation_only=False)


def _request_data() -> dict:
    from urllib.parse import urlsplit

    base = urlsplit(base_url())
    return {"https": "on" if base.scheme == "https" else "off", "http_host": base.netloc,
            "script_name": request.path, "get_data": request.args.copy(), "post_data": request.form.copy()}


def auth() -> OneLogin_Saml2_Auth:
    return OneLogin_Saml2_Auth(_request_data(), old_settings=settings())


def sp_metadata() -> str:
    s = settings()
    xml = s.get_sp_metadata()
    errors = s.validate_metadata(xml)
    if errors:
        raise RuntimeError(f"SP metadata invalid: {errors}")
    return xml.decode() if isinstance(xml, bytes) else xml


def in_response_to(saml_response: str) -> str | None:
    """The request id an (unverified) answer claims to answer; process_response then checks it."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(base64.b64decode(saml_response, validate=False), parser)
    except (binascii.Error, ValueError, etree.XMLSyntaxError):
        return None
    value = root.get("InResponseTo")
    return value[:64] if value else None


def _privileges(values: list[str]) -> list[str]:
    """KOMBIT's PrivilegeList (base64 XML) -> the privilege URIs in it."""
    found: list[str] = []
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    for value in values:
        try:
            root = etree.fromstring(base64.b64decode(value, validate=False), parser)
        except (binascii.Error, ValueError, etree.XMLSyntaxError):
            continue
        found += [el.text.strip() for el in root.iter() if isinstance(el.tag, str)
                  and el.tag.rsplit("}", 1)[-1] == "Privilege" and el.text and el.text.strip()]
    return found


def claims_from(attributes: dict[str, list[str]], name_id: str | None, name_id_format: str | None) -> dict:
    """SAML attributes as claims: every attribute under its own name, plus the well-known ones under
    the names app/sso/claims.py reads, and the NameID as the username where nothing else gives one."""
    claims: dict = {name: list(values) for name, values in attributes.items()}
    for claim, names in ALIASES.items():
        if claim not in claims:
            for name in names:
                if attributes.get(name):
                    claims[claim] = list(attributes[name])
                    break
    if attributes.get(KOMBIT_PRIVILEGES):
        claims["groups"] = list(claims.get("groups", [])) + _privileges(attributes[KOMBIT_PRIVILEGES])
    if name_id and name_id_format != C.NAMEID_TRANSIENT and not any(
        claims.get(n) for n in ("preferred_username", "upn", "email")
    ):
        claims["preferred_username"] = name_id
    return claims


def subject_of(name_id: str | None, name_id_format: str | None, claims: dict) -> str:
    """The identity's stable key: the NameID, unless it is transient (then the username)."""
    if name_id and name_id_format != C.NAMEID_TRANSIENT:
        return name_id
    from app.sso.claims import first

    return first(claims, "preferred_username", "upn", "email")
