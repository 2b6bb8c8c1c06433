"""Plans due: a clinician's care-team treatment plans that need them, the director's compliance
list, and the count on the clinician's home."""

import datetime as dt

import pytest
from django.urls import reverse

from openiop.audit.models import Action, AuditEvent
from openiop.plans import services
from openiop.plans.models import Plan, PlanKind, PlanVersion
from tests.factories.clinic import admit, make_patient

pytestmark = pytest.mark.django_db

DUE_URL = reverse("clinic:plans_due")


def sign_treatment_plan(patient, clinician):
    plan = Plan.objects.get(patient=patient, kind=PlanKind.TREATMENT)
    draft = services.start_revision(actor=clinician, plan=plan)
    if not draft.problems.exists():
        services.save_item(actor=clinician, version=draft, part="problem", statement="Daily drinking")
    goal = services.save_item(actor=clinician, version=draft, part="goal", clinical_text="Abstinence")
    services.save_item(actor=clinician, version=draft, part="objective", goal=goal, text="Attend groups",
                       target_date=dt.date(2026, 12, 15))
    services.save_item(actor=clinician, version=draft, part="intervention", goal=goal, modality="cbt",
                       frequency="weekly", responsible=clinician)
    services.sign_version(actor=clinician, version=draft)
    return plan, PlanVersion.objects.get(pk=draft.pk)


def test_a_clinician_sees_their_care_teams_overdue_plan_with_a_badge(client, clinician, patient_record):
    client.force_login(clinician)
    response = client.get(DUE_URL)
    assert response.status_code == 200
    assert "Quinlan, Ave" in response.text and "Overdue: not signed" in response.text
    assert "2026-10-08" in response.text and "overdue</strong>" in response.text
    assert AuditEvent.objects.filter(user=clinician, patient=patient_record, action=Action.LIST,
                                     detail__list="plans due").exists()


def test_a_signed_plan_waiting_for_the_patient_stays_on_the_list_until_they_sign(
    client, clinician, patient_record, patient_user
):
    _, version = sign_treatment_plan(patient_record, clinician)
    client.force_login(clinician)
    assert "patient signature" in client.get(DUE_URL).text
    services.sign_as_patient(actor=clinician, version=version, typed_name="Avery Quinlan", method="clinic_screen")
    # Signed today and signed by the patient: the next review is a month away.
    assert "Quinlan" not in client.get(DUE_URL).text


def test_a_clinician_of_the_program_not_on_the_care_team_does_not_see_the_plan(
    client, clinic, outsider, patient_record
):
    outsider.programs.add(clinic["sud"])  # sees the patient, but is not on the care team
    client.force_login(outsider)
    assert "Quinlan" not in client.get(DUE_URL).text


def test_the_director_sees_the_compliance_list_of_every_program(client, director, patient_record):
    client.force_login(director)
    response = client.get(DUE_URL)
    assert "Quinlan, Ave" in response.text and "Overdue: not signed" in response.text


@pytest.mark.parametrize("persona_name", ["front_desk", "biller", "intake", "privacy_officer"])
def test_non_clinical_staff_get_404_on_plans_due(client, persona, persona_name, patient_record):
    client.force_login(persona(persona_name))
    assert client.get(DUE_URL).status_code == 404


def test_the_clinicians_home_counts_the_plans_due(client, clinic, clinician, patient_record):
    other = make_patient(organization=clinic["organization"], program=clinic["sud"], legal_first_name="Sam",
                         legal_last_name="Testperson")
    admit(patient=other, program=clinic["sud"], clinician=clinician)
    client.force_login(clinician)
    response = client.get(reverse("clinic:home"))
    assert "<strong>2</strong> treatment plans to write, review or get signed" in response.text
    assert 'href="/clinic/plans/due/"' in response.text


@pytest.mark.parametrize("count", [1, 8])
def test_plans_due_uses_the_same_queries_for_1_and_8_patients(
    client, clinic, clinician, count, django_assert_num_queries
):
    for number in range(count):
        patient = make_patient(organization=clinic["organization"], program=clinic["sud"],
                               legal_first_name=f"Sam{number}", legal_last_name="Testperson")
        admit(patient=patient, program=clinic["sud"], clinician=clinician)
        # Half signed (waiting for the patient's signature), half not yet: both are due.
        if number % 2 or count == 1:
            sign_treatment_plan(patient, clinician)
    client.force_login(clinician)
    client.get(DUE_URL)
    # Session, user; the care-team episodes; plans, versions (with signers), signatures,
    # reviews; one bulk audit insert.
    with django_assert_num_queries(8):
        response = client.get(DUE_URL)
    assert response.text.count("Testperson, Sam") == count


@pytest.mark.parametrize("count", [1, 8])
def test_the_directors_compliance_list_uses_the_same_queries_for_1_and_8_patients(
    client, clinic, clinician, director, count, django_assert_num_queries
):
    for number in range(count):
        patient = make_patient(organization=clinic["organization"], program=clinic["sud"],
                               legal_first_name=f"Sam{number}", legal_last_name="Testperson")
        admit(patient=patient, program=clinic["sud"], clinician=clinician)
        # Half signed and waiting for the patient's signature: those are on the list too.
        if number % 2 or count == 1:
            sign_treatment_plan(patient, clinician)
    client.force_login(director)
    client.get(DUE_URL)
    # Session, user; plans, versions (with signers), signatures, reviews; one bulk audit insert.
    with django_assert_num_queries(7):
        response = client.get(DUE_URL)
    assert response.text.count("Testperson, Sam") == count
