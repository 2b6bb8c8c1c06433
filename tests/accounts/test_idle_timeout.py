"""HIPAA 164.312(a)(2)(iii) automatic logoff: a session ends after a period without requests."""

import datetime as dt

import pytest
import time_machine

from openiop.audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
STAFF_IDLE = 15 * 60
PORTAL_IDLE = 30 * 60


@pytest.fixture(autouse=True)
def _idle_limits(settings):
    settings.OPENIOP_STAFF_IDLE_SECONDS = STAFF_IDLE
    settings.OPENIOP_PORTAL_IDLE_SECONDS = PORTAL_IDLE


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_it_signs_staff_out_after_the_idle_limit(client, clock, clinician):
    client.force_login(clinician)
    assert client.get("/clinic/").status_code == 200

    clock.shift(STAFF_IDLE + 1)
    response = client.get("/clinic/patients/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/clinic/patients/"
    assert not is_signed_in(client)


def test_it_tells_the_person_why_they_were_signed_out(client, clock, clinician):
    client.force_login(clinician)
    client.get("/clinic/")

    clock.shift(STAFF_IDLE + 1)
    response = client.get("/clinic/", follow=True)

    assert "signed out after a period of inactivity" in response.text


def test_it_audits_the_idle_sign_out(client, clock, clinician):
    client.force_login(clinician)
    client.get("/clinic/")

    clock.shift(STAFF_IDLE + 1)
    client.get("/clinic/")

    [event] = AuditEvent.objects.filter(action=Action.IDLE_LOGOUT)
    assert event.user == clinician


def test_it_keeps_staff_signed_in_just_inside_the_idle_limit(client, clock, clinician):
    client.force_login(clinician)
    client.get("/clinic/")

    clock.shift(STAFF_IDLE - 1)

    assert client.get("/clinic/").status_code == 200
    assert is_signed_in(client)


def test_activity_restarts_the_idle_clock(client, clock, clinician):
    client.force_login(clinician)
    client.get("/clinic/")
    for _ in range(3):
        clock.shift(STAFF_IDLE - 120)
        assert client.get("/clinic/").status_code == 200

    assert is_signed_in(client)


def test_it_gives_patients_the_longer_portal_limit(client, clock, patient_user):
    client.force_login(patient_user)
    client.get("/portal/")

    clock.shift(STAFF_IDLE + 1)
    assert client.get("/portal/").status_code == 200

    clock.shift(PORTAL_IDLE + 1)
    assert client.get("/portal/").status_code == 302
    assert not is_signed_in(client)
