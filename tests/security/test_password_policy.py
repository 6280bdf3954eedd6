"""The password policy (OWASP ASVS 4.0.3 V2.1) in app/passwords.py, and where it applies: the admin
screens, `flask users` and the person's own password change; never the contract's demo data."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import passwords
from app.models import User
from tests.conftest import AuthActions

TOO_COMMON = "Den adgangskode er for almindelig og let at gætte."


@pytest.fixture
def danish(app):
    with app.test_request_context("/", headers={"Accept-Language": "da"}):
        yield lambda pw, username="", name="": (
            None if (p := passwords.password_problem(pw, username, name)) is None else str(p))


def test_length_12_to_128_counted_in_characters(danish):
    """V2.1.1, V2.1.2, V2.1.3: at least 12, 64 and 128 allowed, 129 refused; no truncation."""
    assert danish("blå-kaffe-4") == "Adgangskoden skal være på mindst 12 tegn."
    assert danish("blå-kaffe-42") is None
    sentence = "min cykel er grøn og står ved banegården hver eneste morgen kl 7"
    assert len(sentence) == 64 and danish(sentence) is None
    long = ("vinden blæser hen over marken mens jeg cykler på arbejde i regnvejr " * 2)[:128]
    assert len(long) == 128 and danish(long) is None
    assert danish(long + "x") == "Adgangskoden må højst være på 128 tegn."
    hashed = passwords.hash_secret(long)
    assert passwords.verify_secret(hashed, long) and not passwords.verify_secret(hashed, long[:72])


def test_no_composition_rules(danish):
    """V2.1.9: lower-case words, spaces, no digit and no capital letter are fine."""
    assert danish("gule bananer i kurven") is None
    assert danish("GULE BANANER I KURVEN") is None
    assert danish("1848 1864 1920 1945") is None


@pytest.mark.parametrize("password", [
    "qwertyuiop123",  # in the list (breach corpora)
    "QWERTY123456",  # case-insensitive
    "1q2w3e4r5t6y",
    "password1234",
    "Password2024!",  # a common word with a few digits and a sign around it
    "iloveyou12345",
    "!!Sommerfugl2026",  # Danish-flavoured
    "jeg elsker dig!",  # spaces and separators removed
    "københavn-1234",
    "adgangskode123",
    "Velkommen2025",
    "aaaaaaaaaaaaaaa",  # one character repeated
    "abababababab",
    "123456789012",  # a sequence
    "asdfghjklzxcvb",
])
def test_common_and_breached_passwords_are_refused(danish, password):
    """V2.1.7: checked against ~20,000 common passwords plus Danish ones, case-insensitively."""
    assert danish(password) == TOO_COMMON + " En sætning på nogle få ord er let at huske og svær at gætte."


def test_the_list_is_the_shipped_data_file():
    words = passwords.common_passwords()
    assert len(words) > 19_000
    assert {"123456", "password", "iloveyou", "kodeord", "sommerfugl"} <= words
    assert all(w == w.casefold() for w in list(words)[:500])


def test_not_the_username_or_the_name(danish):
    assert danish("anna-på-kontoret", "anna", "Anna Jensen") == "Adgangskoden må ikke indeholde brugernavnet."
    assert danish("familien JENSEN i Aarhus", "anna", "Anna Jensen") == "Adgangskoden må ikke indeholde dit navn."
    # Short name parts would refuse far too much ("bo" is in "bord").
    assert danish("et bord med fire ben", "bo", "Bo Nielsen") is None


def test_unicode_is_allowed_and_normalised(danish):
    """V2.1.4: any Unicode character; NFKC makes the full-width or decomposed forms the same password."""
    assert danish("Ærø 🌊 på en grå dag") is None
    composed, decomposed = "blåbærgrød med fløde", "bla\u030abærgrød med fløde"
    hashed = passwords.hash_secret(decomposed)
    assert passwords.verify_secret(hashed, composed)
    fullwidth = "ｐａｓｓｗｏｒｄ１２３４"  # NFKC: password1234
    assert danish(fullwidth) is not None and passwords.verify_secret(passwords.hash_secret("password1234"), fullwidth)


def test_a_hash_made_before_normalisation_still_verifies():
    raw = "ｆｕｌｌｗｉｄｔｈ ｔｅｘｔ ｏｋ"
    legacy = passwords._hasher.hash(raw)  # as hash_secret did before NFKC
    assert passwords.verify_secret(legacy, raw)


def test_admin_cli_and_self_service_all_apply_it(app, client, auth, runner, db):
    result = runner.invoke(args=["users", "create", "eve", "--name", "Eve Holm", "--password", "Password2024!"])
    assert result.exit_code != 0 and TOO_COMMON in result.output
    result = runner.invoke(args=["users", "set-password", "bo", "--password", "nielsen-familien-1"])
    assert result.exit_code != 0 and "dit navn" in result.output

    auth.login("admin")
    with db as session:
        bo_id = session.execute(select(User.id).where(User.username == "bo")).scalar_one()
    response = client.post(f"/admin/users/{bo_id}/password",
                           data={"csrf_token": auth.csrf_token, "password": "QWERTY123456"})
    assert response.status_code == 422 and TOO_COMMON in response.get_data(as_text=True)
    auth.logout()

    auth.login("anna")
    token = auth.form_token("/settings/password")
    response = client.post("/settings/password", data={
        "csrf_token": token, "current_password": "demo", "new_password": "anna1234567890",
        "repeat_password": "anna1234567890"})
    assert response.status_code == 422 and "brugernavnet" in response.get_data(as_text=True)
    response = client.post("/settings/password", data={
        "csrf_token": token, "current_password": "demo", "new_password": "tre små grise i sneen",
        "repeat_password": "tre små grise i sne"})
    assert response.status_code == 422 and "De to nye adgangskoder er ikke ens." in response.get_data(as_text=True)


def test_demo_users_keep_demo(app):
    """The contract: the demo data's users sign in with `demo`; the policy is for chosen passwords."""
    from app.demo import load_demo_data

    with app.app_context():
        load_demo_data()  # again: idempotent, and it does not go through the policy
    for username in ("anna", "bo", "lene", "ali", "admin"):
        assert AuthActions(app.test_client()).login(username, "demo").status_code == 302, username
