import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from openiop.audit.models import AuditEvent
from openiop.privacy.models import BreakGlassAccess

pytestmark = pytest.mark.django_db
REASON = "Patient called the crisis line; care team cannot be reached tonight"


def break_glass_url(patient):
    return f"/clinic/patients/{patient.mrn}/emergency-access/"


def test_it_requires_a_reason_and_keeps_what_was_typed(client, outsider, patient_record):
    client.force_login(outsider)
    response = client.post(break_glass_url(patient_record), {"reason_code": "ETREAT", "reason": "urgent"})
    assert response.status_code == 200
    assert "at least 15 characters" in response.text
    assert ">urgent</textarea>" in response.text
    assert not BreakGlassAccess.objects.exists()


def test_it_opens_the_chart_after_a_reason_is_given(client, outsider, patient_record):
    client.force_login(outsider)
    response = client.post(break_glass_url(patient_record), {"reason_code": "ETREAT", "reason": REASON})
    assert response.status_code == 302
    chart = client.get(f"/clinic/patients/{patient_record.mrn}/")
    assert chart.status_code == 200
    assert "Emergency access." in chart.text
    assert "F10.20" in chart.text


def test_it_records_the_reason_in_the_audit_trail(client, outsider, patient_record):
    client.force_login(outsider)
    client.post(break_glass_url(patient_record), {"reason_code": "ETREAT", "reason": REASON})
    client.get(f"/clinic/patients/{patient_record.mrn}/")
    start = AuditEvent.objects.get(action="break_glass")
    view = AuditEvent.objects.get(action="view", user=outsider)
    assert start.reason == f"ETREAT: {REASON}"
    assert view.reason == f"ETREAT: {REASON}"


def test_it_ends_emergency_access_after_24_hours(client, outsider, patient_record):
    client.force_login(outsider)
    client.post(break_glass_url(patient_record), {"reason_code": "ETREAT", "reason": REASON})
    with time_machine.travel(timezone.now() + dt.timedelta(hours=24, minutes=1)):
        client.force_login(outsider)
        assert client.get(f"/clinic/patients/{patient_record.mrn}/").status_code == 404


def test_it_lists_emergency_access_for_the_privacy_officer_until_reviewed(
    client, outsider, privacy_officer, patient_record
):
    client.force_login(outsider)
    client.post(break_glass_url(patient_record), {"reason_code": "ETREAT", "reason": REASON})
    access = BreakGlassAccess.objects.get()
    client.force_login(privacy_officer)
    assert REASON in client.get("/clinic/privacy/").text
    response = client.post(f"/clinic/privacy/emergency-access/{access.pk}/", {"outcome": "appropriate", "note": ""})
    assert response.status_code == 302
    assert REASON not in client.get("/clinic/privacy/").text
    access.refresh_from_db()
    assert access.reviewed_by == privacy_officer
    assert AuditEvent.objects.filter(action="review", patient=patient_record).exists()


def test_it_requires_a_note_when_access_was_inappropriate(client, outsider, privacy_officer, patient_record):
    from openiop.privacy import services

    access = services.break_glass(user=outsider, patient=patient_record, reason_code="BTG", reason=REASON)
    client.force_login(privacy_officer)
    response = client.post(f"/clinic/privacy/emergency-access/{access.pk}/", {"outcome": "inappropriate", "note": ""})
    assert response.status_code == 200
    assert "Say what follow-up is needed" in response.text
    access.refresh_from_db()
    assert access.reviewed_at is None


def test_it_refuses_emergency_access_to_front_desk(client, front_desk, patient_record):
    client.force_login(front_desk)
    assert client.get(break_glass_url(patient_record)).status_code == 404
