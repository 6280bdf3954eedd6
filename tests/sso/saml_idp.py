"""A small SAML identity provider for the tests: its own RSA key and certificate, its metadata file,
and Responses whose Assertion is signed with xmlsec (enveloped, exclusive C14N, RSA-SHA256), the
way AD FS signs them."""

from __future__ import annotations

import base64
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import xmlsec
from lxml import etree

from app.sso.saml import _self_signed

ENTITY_ID = "https://adfs.kommune.example/adfs/services/trust"
SSO_URL = "https://adfs.kommune.example/adfs/ls/"
NS = {"samlp": "urn:oasis:names:tc:SAML:2.0:protocol", "saml": "urn:oasis:names:tc:SAML:2.0:assertion"}
UPN = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"
GROUP = "http://schemas.xmlsoap.org/claims/Group"
DISPLAY_NAME = "http://schemas.microsoft.com/identity/claims/displayname"
DEPARTMENT = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/department"


def _cert_body(pem: str) -> str:
    return "".join(line for line in pem.splitlines() if "CERTIFICATE" not in line)


class Idp:
    def __init__(self, folder: Path) -> None:
        self.key, self.cert = _self_signed()
        self.metadata_file = folder / "idp-metadata.xml"
        self.metadata_file.write_text(f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{ENTITY_ID}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="true">
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>
      <ds:X509Certificate>{_cert_body(self.cert)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{SSO_URL}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>""")

    @staticmethod
    def read_request(location: str) -> tuple[str, dict]:
        """The AuthnRequest's ID and the redirect's query (SAMLRequest, SigAlg, Signature, RelayState)."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        xml = zlib.decompress(base64.b64decode(query["SAMLRequest"]), -15)
        return etree.fromstring(xml).get("ID"), query

    def response(self, request_id: str, *, name_id: str = "S-1-5-21-karen", attributes: dict | None = None,
                 audience: str = "http://localhost/login/saml/metadata", valid_for: timedelta = timedelta(minutes=5),
                 issued: datetime | None = None, sign: bool = True, tamper=None) -> str:
        now = issued or datetime.now(UTC)
        stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
        until = stamp(now + valid_for)
        acs = "http://localhost/login/saml/acs"
        assertion_id = "_" + uuid.uuid4().hex
        attrs = "".join(
            f'<saml:Attribute Name="{name}">' + "".join(
                f"<saml:AttributeValue>{v}</saml:AttributeValue>" for v in (values if isinstance(values, list) else [values])
            ) + "</saml:Attribute>"
            for name, values in (attributes or {}).items()
        )
        xml = f"""<samlp:Response xmlns:samlp="{NS['samlp']}" xmlns:saml="{NS['saml']}" ID="_{uuid.uuid4().hex}"
 Version="2.0" IssueInstant="{stamp(now)}" Destination="{acs}" InResponseTo="{request_id}">
 <saml:Issuer>{ENTITY_ID}</saml:Issuer>
 <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
 <saml:Assertion ID="{assertion_id}" Version="2.0" IssueInstant="{stamp(now)}">
  <saml:Issuer>{ENTITY_ID}</saml:Issuer>
  <saml:Subject>
   <saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{name_id}</saml:NameID>
   <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
    <saml:SubjectConfirmationData InResponseTo="{request_id}" NotOnOrAfter="{until}" Recipient="{acs}"/>
   </saml:SubjectConfirmation>
  </saml:Subject>
  <saml:Conditions NotBefore="{stamp(now - timedelta(seconds=30))}" NotOnOrAfter="{until}">
   <saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>
  </saml:Conditions>
  <saml:AuthnStatement AuthnInstant="{stamp(now)}" SessionIndex="{assertion_id}">
   <saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>
  </saml:AuthnStatement>
  <saml:AttributeStatement>{attrs}</saml:AttributeStatement>
 </saml:Assertion>
</samlp:Response>"""
        root = etree.fromstring(xml.encode())
        assertion = root.find("saml:Assertion", NS)
        if sign:
            signature = xmlsec.template.create(assertion, xmlsec.Transform.EXCL_C14N, xmlsec.Transform.RSA_SHA256)
            assertion.insert(1, signature)  # right after the Issuer
            ref = xmlsec.template.add_reference(signature, xmlsec.Transform.SHA256, uri="#" + assertion_id)
            xmlsec.template.add_transform(ref, xmlsec.Transform.ENVELOPED)
            xmlsec.template.add_transform(ref, xmlsec.Transform.EXCL_C14N)
            xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature))
            xmlsec.tree.add_ids(assertion, ["ID"])
            ctx = xmlsec.SignatureContext()
            key = xmlsec.Key.from_memory(self.key.encode(), xmlsec.KeyFormat.PEM)
            key.load_cert_from_memory(self.cert.encode(), xmlsec.KeyFormat.PEM)
            ctx.key = key
            ctx.sign(signature)
        if tamper is not None:
            tamper(root)
        return base64.b64encode(etree.tostring(root)).decode()
