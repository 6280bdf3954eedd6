"""SAML 2.0 with a real signed assertion (tests/sso/saml_idp.py signs it with xmlsec): accepted; refused
when the signature, audience or time window is wrong, when unsigned, and when replayed. On SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import lxml.etree
import pytest
import xmlsec

from app.admin import services as admin
from tests.sso.saml_idp import DEPARTMENT, DISPLAY_NAME, GROUP, NS, SSO_URL, UPN, Idp

ATTRIBUTES = {UPN: "karen@kommune.dk", DISPLAY_NAME: "Karen Mikkelsen", GROUP: ["Makker Staff", "Alle"],
              DEPARTMENT: "Jobcenter Nord"}


@pytest.fixture(scope="module")
def idp(tmp_path_factory):
    return Idp(tmp_path_factory.mktemp("saml"))


@pytest.fixture
def app_config(app_config, idp):
    return {**app_config, "SAML_IDP_METADATA": str(idp.metadata_file),
            "OIDC_ROLE_MAP": "Makker Staff=staff,Makker Ledere=leader"}


def _start(client, idp) -> str:
    response = client.get("/login/saml")
    assert response.status_code == 302 and response.headers["Location"].startswith(SSO_URL)
    request_id, query = idp.read_request(response.headers["Location"])
    assert query["SigAlg"] == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" and query["Signature"]
    return request_id


def _post(client, saml_response: str):
    return client.post("/login/saml/acs", data={"SAMLResponse": saml_response, "RelayState": "makker"})


def _me(client):
    response = client.get("/api/v1/me")
    return response.get_json() if response.status_code == 200 else None


def test_lxml_and_xmlsec_use_the_same_libxml2():
    # A known trap: wheels of lxml and xmlsec that carry different libxml2 versions break signing.
    assert xmlsec.get_libxml_version() == lxml.etree.LIBXML_VERSION


def test_sp_metadata_names_the_acs_and_signs_requests(client):
    response = client.get("/login/saml/metadata")
    assert response.status_code == 200 and response.mimetype == "application/samlmetadata+xml"
    xml = response.get_data(as_text=True)
    assert 'entityID="http://localhost/login/saml/metadata"' in xml
    assert 'Location="http://localhost/login/saml/acs"' in xml and 'AuthnRequestsSigned="true"' in xml


def test_a_signed_assertion_signs_the_person_in_with_role_and_unit(client, idp, db):
    request_id = _start(client, idp)
    response = _post(client, idp.response(request_id, attributes=ATTRIBUTES))
    assert response.status_code == 303 and response.headers["Location"].startswith("/login/saml/done?ticket=")
    done = client.get(response.headers["Location"])
    assert done.status_code == 303 and done.headers["Location"] == "/"
    me = _me(client)
    assert (me["username"], me["role"], me["unit"], me["name"]) == \
        ("karen@kommune.dk", "staff", "Jobcenter Nord", "Karen Mikkelsen")
    # The same answer again is refused (each request is answered once).
    assert _post(client, idp.response(request_id, attributes=ATTRIBUTES)).status_code == 400
    # And the ticket works once.
    assert client.get(response.headers["Location"]).status_code == 400


def _refused(client, saml_response) -> None:
    response = _post(client, saml_response)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert "Login mislykkedes" in response.get_data(as_text=True)
    assert _me(client) is None


def test_a_wrong_signature_is_refused(client, idp):
    def change_group(root):
        value = root.find(f".//saml:Attribute[@Name='{GROUP}']/saml:AttributeValue", NS)
        value.text = "Makker Ledere"  # after signing: the digest no longer matches

    _refused(client, idp.response(_start(client, idp), attributes=ATTRIBUTES, tamper=change_group))


def test_a_signature_by_another_key_is_refused(client, idp, tmp_path):
    other = Idp(tmp_path)
    _refused(client, other.response(_start(client, idp), attributes=ATTRIBUTES))


def test_an_unsigned_assertion_is_refused(client, idp):
    _refused(client, idp.response(_start(client, idp), attributes=ATTRIBUTES, sign=False))


def test_a_wrong_audience_is_refused(client, idp):
    _refused(client, idp.response(_start(client, idp), attributes=ATTRIBUTES,
                                  audience="https://other-service.example/metadata"))


def test_an_expired_assertion_is_refused(client, idp):
    from datetime import UTC, datetime

    _refused(client, idp.response(_start(client, idp), attributes=ATTRIBUTES,
                                  issued=datetime.now(UTC) - timedelta(hours=1)))


def test_an_answer_to_no_request_of_ours_is_refused(client, idp):
    _refused(client, idp.response("_never-asked", attributes=ATTRIBUTES))


def test_unmapped_groups_give_the_no_access_page(client, idp, db):
    response = _post(client, idp.response(_start(client, idp), attributes={**ATTRIBUTES, GROUP: ["Alle"]}))
    done = client.get(response.headers["Location"])
    assert done.status_code == 403 and "Du har ikke adgang til Makker" in done.get_data(as_text=True)
    with db as session:
        assert admin.find_user(session, "karen@kommune.dk") is None
