"""The guideline at hand: defaults in Danish and English, the admin's sanitised Markdown edits."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.help import services
from app.help.guideline import DEFAULT_CARDS
from app.models import AuditEntry, GuidelineCard
from tests.conftest import CSRF_RE

EXPECTED_SLUGS = ["home-visit", "before-meeting", "when-it-happens", "registration", "who-does-what", "afterwards"]


def test_every_card_ships_in_danish_and_english():
    assert [c.slug for c in DEFAULT_CARDS] == EXPECTED_SLUGS
    for card in DEFAULT_CARDS:
        for locale in ("da", "en"):
            assert card.title[locale].strip() and card.body[locale].strip()
            assert services.render_markdown(card.body[locale])


def test_danish_cards_follow_the_original_wording(client, auth):
    auth.login("anna")
    home_visit = client.get("/help/guideline/home-visit").get_data(as_text=True)
    body = home_visit.split('class="guide-body"')[1].split("</div>")[0]
    assert body.count("<li>") == 7  # the guideline's seven points
    assert "mobile overfaldsalarm" in body and "forstyrre mødet på et bestemt tidspunkt" in body
    assert "sunde fornuft" in body
    happens = client.get("/help/guideline/when-it-happens").get_data(as_text=True)
    for heading in ("Direkte borgerkontakt", "mail og andre digitale medier", "mobning", "Uden for arbejdstid"):
        assert heading in happens
    assert "Gå ikke i dialog med krænkeren." in happens
    registration = client.get("/help/guideline/registration").get_data(as_text=True)
    assert "SafetyNet" in registration and "notat straks efter hændelsen" in registration
    leader = client.get("/help/guideline/who-does-what").get_data(as_text=True)
    assert "arbejdsmiljøgruppen orienteres" in leader and "politianmeldelse" in leader
    after = client.get("/help/guideline/afterwards").get_data(as_text=True)
    assert 'href="tel:87108900"' in after and "Human House" in after
    assert "reaktionen kan komme forsinket" in after and "psykiske førstehjælp" in after
    before = client.get("/help/guideline/before-meeting").get_data(as_text=True)
    assert "flugtvej" in before and "normale åbningstid" in before


def test_english_user_gets_english_cards(app, client, auth, db):
    from app.admin.services import find_user

    with db as session:
        find_user(session, "anna").locale = "en"
        session.commit()
    auth.login("anna")
    listing = client.get("/help/guideline").get_data(as_text=True)
    assert "Before a home visit" in listing and "Før et hjemmebesøg" not in listing
    card = client.get("/help/guideline/when-it-happens").get_data(as_text=True)
    assert "Do not answer the offender" in card


def test_guideline_list_and_unknown_card(client, auth):
    auth.login("anna")
    html = client.get("/help/guideline").get_data(as_text=True)
    links = re.findall(r'href="/help/guideline/([a-z-]+)"', html)
    assert links == EXPECTED_SLUGS
    assert client.get("/help/guideline/nope").status_code == 404


@pytest.mark.parametrize("source, forbidden", [
    ("<script>alert(1)</script>\n\nTekst", "<script"),
    ("[klik](javascript:alert(1))", "javascript:"),
    ("[klik](JaVaScRiPt:alert(1))", "javascript"),
    ('<a href="javascript:alert(1)">klik</a>', "javascript:"),
    ('<img src="x" onerror="alert(1)">', "onerror"),
    ('<div onclick="alert(1)">klik</div>', "onclick"),
    ('<p style="color:red" onmouseover="x()">hej</p>', "onmouseover"),
    ("<iframe src='https://evil.example'></iframe>", "<iframe"),
    ("<style>body{display:none}</style>", "<style"),
    ("[x](data:text/html;base64,PHNjcmlwdD4=)", "data:"),
])
def test_markdown_is_sanitised(source, forbidden):
    html = str(services.render_markdown(source))
    assert forbidden.lower() not in html.lower(), html


def test_markdown_keeps_the_small_set_of_formatting():
    html = str(services.render_markdown(
        "### Ring\n\n**Fed** og *kursiv*\n\n1. en\n2. to\n\n- a\n\n[Human House](tel:87108900) "
        "[Portal](https://example.dk) <b>rå</b>"
    ))
    assert "<h3>Ring</h3>" in html and "<strong>Fed</strong>" in html and "<em>kursiv</em>" in html
    assert "<ol>" in html and "<ul>" in html
    assert '<a href="tel:87108900" rel="noopener noreferrer">Human House</a>' in html
    assert 'href="https://example.dk"' in html
    assert "<b>" not in html and "rå" in html  # raw HTML is reduced to its text


def _edit_form(client, slug="afterwards", locale="da"):
    html = client.get(f"/help/guideline/{slug}/edit?locale={locale}").get_data(as_text=True)
    return CSRF_RE.search(html).group(1)


def test_admin_edits_a_card_and_the_output_is_sanitised(app, client, auth, db):
    auth.login("admin")
    token = _edit_form(client)
    response = client.post("/help/guideline/afterwards/edit?locale=da", data={
        "csrf_token": token,
        "title": "Efter en hændelse",
        "body_markdown": "Ring til **Human House**.\n\n<script>alert('x')</script>\n\n"
                         "[Portal](javascript:alert(1)) <img src=x onerror=alert(1)> "
                         '<a href="https://example.dk" onclick="steal()">link</a>',
    })
    assert response.status_code == 302
    page = client.get("/help/guideline/afterwards")
    html = page.get_data(as_text=True)
    assert "<h1>Efter en hændelse</h1>" in html and "<strong>Human House</strong>" in html
    body = html.split('class="guide-body"')[1].split("</div>")[0]
    assert "<script" not in body and "javascript:" not in body
    assert "onerror" not in body and "onclick" not in body and "<img" not in body
    assert "link</p>" in body and "steal" not in body  # raw HTML keeps only its text
    with db as session:
        card = session.execute(select(GuidelineCard)).scalar_one()
        assert (card.slug, card.locale, card.updated_by.username) == ("afterwards", "da", "admin")
        assert session.execute(select(AuditEntry).where(AuditEntry.action == "guideline.edit")).scalar()
    # The Hjælp screen lists the new title; English is untouched.
    assert "Efter en hændelse" in client.get("/help/").get_data(as_text=True)
    with db as session:
        en = services.guideline_card(session, "afterwards", "en")
        assert en.title == "Afterwards: help" and not en.edited


def test_admin_restores_the_default(client, auth):
    auth.login("admin")
    token = _edit_form(client, "registration")
    client.post("/help/guideline/registration/edit?locale=da",
                data={"csrf_token": token, "title": "Ny titel", "body_markdown": "Kort."})
    assert "Ny titel" in client.get("/help/guideline/registration").get_data(as_text=True)
    client.post("/help/guideline/registration/reset?locale=da", data={"csrf_token": token})
    html = client.get("/help/guideline/registration").get_data(as_text=True)
    assert "Ny titel" not in html and "<h1>Registrering</h1>" in html


def test_edit_form_refuses_an_empty_card(client, auth):
    auth.login("admin")
    token = _edit_form(client)
    response = client.post("/help/guideline/afterwards/edit?locale=da",
                           data={"csrf_token": token, "title": "", "body_markdown": ""})
    assert response.status_code == 422
    assert "Udfyld dette felt." in response.get_data(as_text=True)


@pytest.mark.parametrize("username", ["anna", "lene", "ali"])
def test_only_the_admin_edits(client, auth, db, username):
    auth.login(username)
    assert client.get("/help/guideline/afterwards/edit").status_code == 403
    token = auth.form_token("/help/ambulance-letter/edit")  # a valid token: the role is what refuses
    response = client.post("/help/guideline/afterwards/edit?locale=da",
                           data={"csrf_token": token, "title": "Hacked", "body_markdown": "x"})
    assert response.status_code == 403
    assert client.post("/help/guideline/afterwards/reset?locale=da", data={"csrf_token": token}).status_code == 403
    assert "Hacked" not in client.get("/help/guideline/afterwards").get_data(as_text=True)
    assert "Redigér kortet" not in client.get("/help/guideline/afterwards").get_data(as_text=True)
    with db as session:
        assert session.execute(select(GuidelineCard)).scalar() is None


def test_editing_needs_sign_in_and_csrf(client, auth, db):
    response = client.get("/help/guideline/afterwards/edit")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    auth.login("admin")
    response = client.post("/help/guideline/afterwards/edit?locale=da",
                           data={"title": "Uden token", "body_markdown": "x"})
    assert response.status_code == 400
    with db as session:
        assert session.execute(select(GuidelineCard)).scalar() is None


def test_unknown_card_or_locale_cannot_be_edited(client, auth):
    auth.login("admin")
    assert client.get("/help/guideline/nope/edit").status_code == 404
    assert client.get("/help/guideline/afterwards/edit?locale=xx").status_code == 404
    assert "Redigér kortet" in client.get("/help/guideline/afterwards").get_data(as_text=True)
