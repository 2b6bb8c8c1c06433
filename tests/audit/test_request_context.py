"""Every request has an id, and what is audited during it carries that id and the address."""

import re

import pytest

from openiop.audit import services as audit
from openiop.audit.context import command_context
from openiop.audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db


def test_every_response_carries_a_request_id(client):
    response = client.get("/healthz")

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_each_request_gets_its_own_id(client):
    assert client.get("/healthz")["X-Request-ID"] != client.get("/healthz")["X-Request-ID"]


def test_it_keeps_the_request_id_a_load_balancer_sent(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-2026-11-02.abc_123")

    assert response["X-Request-ID"] == "lb-2026-11-02.abc_123"


@pytest.mark.parametrize("forged", ["short", "id\r\nX-Injected: 1", "x" * 65, "a b c d e f g h"])
def test_it_replaces_a_request_id_that_could_forge_log_lines(client, forged):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=forged)

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_an_audited_read_carries_the_request_id_address_and_path(
    client, clinician, patient_record
):
    client.force_login(clinician)
    url = f"/clinic/patients/{patient_record.mrn}/"

    response = client.get(url, REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 200
    event = AuditEvent.objects.filter(action=Action.VIEW, user=clinician).latest("id")
    assert event.request_id == response["X-Request-ID"]
    assert event.ip == "203.0.113.7"
    assert event.path == url
    assert event.patient == patient_record


def test_it_ignores_x_forwarded_for_which_any_client_can_forge(
    client, clinician, patient_record
):
    client.force_login(clinician)

    client.get(
        f"/clinic/patients/{patient_record.mrn}/",
        REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="192.0.2.99",
    )

    event = AuditEvent.objects.filter(action=Action.VIEW, user=clinician).latest("id")
    assert event.ip == "203.0.113.7"


def test_a_command_is_audited_as_the_operator_who_ran_it(patient_record):
    with command_context("audit report"):
        event = audit.record(user=None, action=Action.EXPORT, patient=patient_record)

    assert event.username.startswith("cli:")
    assert event.request_id.startswith("cli-")
    assert event.path == "openiop audit report"
    assert event.ip is None


def test_work_outside_a_request_or_command_is_audited_as_the_system(patient_record):
    event = audit.record(user=None, action=Action.CHANGE, patient=patient_record)

    assert event.username == "system"
    assert event.request_id.startswith("adhoc-")
