import pytest
from django.test import RequestFactory

from openiop.audit.middleware import client_ip

pytestmark = pytest.mark.django_db


def request_from(remote, forwarded=None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


def test_it_ignores_forwarded_headers_from_untrusted_peers(settings):
    settings.OPENIOP_TRUSTED_PROXIES = frozenset()
    assert client_ip(request_from("203.0.113.9", "198.51.100.7")) == "203.0.113.9"


def test_it_takes_the_client_from_a_trusted_proxys_header(settings):
    settings.OPENIOP_TRUSTED_PROXIES = frozenset({"10.0.0.2"})
    assert client_ip(request_from("10.0.0.2", "198.51.100.7")) == "198.51.100.7"


def test_it_skips_addresses_a_client_forged_in_front_of_its_own(settings):
    settings.OPENIOP_TRUSTED_PROXIES = frozenset({"10.0.0.2"})
    forged = "1.2.3.4, 198.51.100.7"
    assert client_ip(request_from("10.0.0.2", forged)) == "198.51.100.7"


def test_it_records_the_clients_address_behind_a_trusted_proxy(client, clinician, patient_record, settings):
    from openiop.audit.models import AuditEvent

    settings.OPENIOP_TRUSTED_PROXIES = frozenset({"10.0.0.2"})
    client.force_login(clinician)
    client.get(
        f"/clinic/patients/{patient_record.mrn}/",
        REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert AuditEvent.objects.get(action="view").ip == "198.51.100.7"


def test_it_records_a_refused_chart_request_in_the_patients_access_report(client, outsider, patient_record):
    from openiop.audit.models import AuditEvent

    client.force_login(outsider)
    client.get(f"/clinic/patients/{patient_record.mrn}/")
    event = AuditEvent.objects.get(action="denied")
    assert (event.user, event.patient) == (outsider, patient_record)
