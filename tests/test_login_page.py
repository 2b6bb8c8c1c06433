import pytest

from tests.factories.clinic import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_it_does_not_invite_visitors_to_sign_up(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "sign up" not in response.text.lower()
    assert client.get("/accounts/signup/").status_code in (200, 302, 403)
    assert "closed" in client.get("/accounts/signup/").text.lower()


def test_it_keeps_the_username_and_explains_a_failed_sign_in(client, clinician):
    response = client.post("/accounts/login/", {"login": "clinician", "password": "wrong-password"})
    assert response.status_code == 200
    assert 'value="clinician"' in response.text
    assert 'role="alert"' in response.text


def test_it_sends_a_password_reset_email(client, clinician, mailoutbox):
    response = client.post("/accounts/password/reset/", {"email": clinician.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "/accounts/password/reset/key/" in mailoutbox[0].body


def test_it_signs_in_with_the_right_password(client, clinician):
    response = client.post("/accounts/login/", {"login": "clinician", "password": TEST_PASSWORD})
    assert response.status_code == 302


def test_it_lists_every_demo_login_in_demo_mode(client, settings):
    from openiop.demo import data

    settings.DEMO_MODE = True
    html = client.get("/accounts/login/").text
    for spec in data.STAFF:
        assert spec.username in html
    assert "family" in html
