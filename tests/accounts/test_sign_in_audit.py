"""Sign-in events go into the audit trail next to patient-data access (HIPAA 164.312(b))."""

import pytest

from openiop.audit.models import Action, AuditEvent
from tests.factories.clinic import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def auth_events(action):
    return list(AuditEvent.objects.filter(action=action))


def test_it_audits_a_sign_in_with_who_and_from_where(client, clinician):
    response = client.post(
        "/accounts/login/", {"login": "clinician", "password": TEST_PASSWORD},
        REMOTE_ADDR="198.51.100.23",
    )

    assert response.status_code == 302
    [event] = auth_events(Action.LOGIN)
    assert (event.user, event.username, event.role) == (clinician, "clinician", "clinician")
    assert event.ip == "198.51.100.23"
    assert event.request_id == response["X-Request-ID"]
    assert event.patient is None


def test_it_audits_a_failed_sign_in_with_the_username_tried(client, clinician):
    client.post("/accounts/login/", {"login": "clinician", "password": "wrong-password"})

    [event] = auth_events(Action.LOGIN_FAILED)
    assert event.user is None
    assert event.username == "clinician"
    assert event.ip == "127.0.0.1"
    assert not auth_events(Action.LOGIN)


def test_it_audits_a_failed_sign_in_for_a_username_that_does_not_exist(client, db):
    client.post("/accounts/login/", {"login": "nobody-here", "password": "wrong-password"})

    [event] = auth_events(Action.LOGIN_FAILED)
    assert (event.user, event.username) == (None, "nobody-here")


def test_it_never_writes_the_password_tried_into_the_trail(client, clinician):
    client.post("/accounts/login/", {"login": "clinician", "password": "hunter2-secret"})

    [event] = auth_events(Action.LOGIN_FAILED)
    assert "hunter2" not in str(event.detail)
    assert "hunter2" not in event.username


def test_it_audits_a_sign_out(client, clinician):
    client.force_login(clinician)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    [event] = auth_events(Action.LOGOUT)
    assert event.user == clinician
    assert event.request_id == response["X-Request-ID"]
