"""The audit trail is append-only: the application can add events, never change or remove them."""

import pytest
from django.db.models import ProtectedError

from openiop.audit import services as audit
from openiop.audit.models import Action, AppendOnlyError, AuditEvent
from tests.factories.clinic import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(patient_record, clinician):
    return audit.record(user=clinician, action=Action.VIEW, patient=patient_record)


def test_it_appends_an_event(event):
    assert AuditEvent.objects.filter(pk=event.pk, action=Action.VIEW).exists()


def test_it_refuses_to_update_an_audit_event(event):
    event.action = Action.CHANGE

    with pytest.raises(AppendOnlyError):
        event.save()

    assert AuditEvent.objects.get(pk=event.pk).action == Action.VIEW


def test_it_refuses_to_delete_an_audit_event(event):
    with pytest.raises(AppendOnlyError):
        event.delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_it_refuses_to_update_audit_events_in_bulk(event):
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(username="someone-else")

    assert AuditEvent.objects.get(pk=event.pk).username == "clinician"


def test_it_refuses_to_delete_audit_events_in_bulk(event):
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_it_keeps_the_events_of_a_user_by_refusing_to_delete_the_user(patient_record):
    temporary = UserFactory(username="temp")
    audit.record(user=temporary, action=Action.VIEW, patient=patient_record)

    with pytest.raises(ProtectedError):
        temporary.delete()
