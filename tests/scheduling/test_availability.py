"""A patient's free times: checked, saved through one service, copied from intake at admission,
and edited on the chart without losing what was typed."""

import pytest
from django.core.exceptions import ValidationError

from openiop.audit.models import Action, AuditEvent
from openiop.scheduling import availability
from openiop.scheduling.models import PatientAvailability


def test_it_names_the_row_that_is_wrong():
    with pytest.raises(ValidationError) as error:
        availability.clean_windows([{"day": 0, "start": "09:00", "end": "12:00"}, {"day": 1, "start": "18:00", "end": "17:00"}])
    assert "Row 2" in str(error.value)
    with pytest.raises(ValidationError, match="Row 1: give a day"):
        availability.clean_windows([{"day": 0, "start": "nine"}])
    with pytest.raises(ValidationError, match="Monday to Sunday"):
        availability.clean_windows([{"day": 7, "start": "09:00", "end": "10:00"}])


def test_it_sorts_and_describes_free_times_in_plain_words():
    windows = availability.clean_windows([{"day": 3, "start": "18:00", "end": "21:00"}, {"day": 0, "start": "9:00", "end": "12:00"}])
    assert windows[0] == {"day": 0, "start": "09:00", "end": "12:00"}
    assert availability.describe(windows) == "Mon 09:00-12:00, Thu 18:00-21:00"
    assert availability.describe([]) == "not recorded"


def test_saving_replaces_the_rows_labels_them_and_audits(patient_record, clinician):
    first = availability.set_availability(patient_record, [{"day": 0, "start": "17:30", "end": "21:30"}], by=clinician)
    assert first.is_part2                       # the substance-use program is a Part 2 program
    availability.set_availability(patient_record, [{"day": 1, "start": "12:00", "end": "13:00"}], by=clinician, note="Lunch")
    record = PatientAvailability.objects.get(patient=patient_record)
    assert record.windows == [{"day": 1, "start": "12:00", "end": "13:00"}] and record.note == "Lunch"
    actions = list(AuditEvent.objects.filter(patient=patient_record, object_type="scheduling.patientavailability")
                   .values_list("action", flat=True))
    assert sorted(actions) == sorted([Action.CREATE, Action.CHANGE])


def test_admission_copies_the_free_times_given_at_intake(clinic, clinician, intake):
    import datetime as dt

    from openiop.care import services as care
    from openiop.intake import services as intake_services
    from tests.factories.clinic import make_patient

    referral = intake_services.create_referral(
        actor=intake, organization=clinic["organization"], program=clinic["sud"], source="self",
        first_name="Casey", last_name="Morrow", date_of_birth=dt.date(1985, 2, 3), phone="555-0142",
    )
    intake_services.record_screening(
        actor=clinician, referral=referral, presenting_problems="Drinking daily", suicidal_thoughts="no",
        suicide_plan_or_intent="no", recent_suicide_attempt="no", violence_risk="no",
        weekly_availability=[{"day": 3, "start": "17:30", "end": "21:30"}, {"day": 0, "start": "17:30", "end": "21:30"}],
    )
    patient = make_patient(organization=clinic["organization"], program=clinic["sud"])
    care.admit_patient(actor=clinician, patient=patient, program=clinic["sud"], admitted_on=dt.date(2026, 10, 1),
                       referral=referral)
    record = PatientAvailability.objects.get(patient=patient)
    assert [w["day"] for w in record.windows] == [0, 3]
    assert record.note == "From the intake screening"


def test_the_chart_page_keeps_what_was_typed_when_a_row_is_wrong(client, login, clinician, patient_record):
    login(clinician)
    url = f"/clinic/patients/{patient_record.mrn}/availability/"
    assert client.get(url).status_code == 200
    data = {"w-TOTAL_FORMS": "2", "w-INITIAL_FORMS": "0", "note": "Works days",
            "w-0-day": "0", "w-0-start": "17:30", "w-0-end": "21:30",
            "w-1-day": "1", "w-1-start": "20:00", "w-1-end": "19:00"}
    response = client.post(url, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Row 2, Until: The end must be after the start." in body
    assert 'value="17:30"' in body and 'value="Works days"' in body
    assert not PatientAvailability.objects.filter(patient=patient_record).exists()
    data["w-1-end"] = "21:00"
    assert client.post(url, data).status_code == 302
    assert PatientAvailability.objects.get(patient=patient_record).windows[1] == {"day": 1, "start": "20:00", "end": "21:00"}


def test_an_outsider_gets_404_and_the_refusal_is_recorded(client, login, outsider, patient_record):
    login(outsider)
    response = client.get(f"/clinic/patients/{patient_record.mrn}/availability/")
    assert response.status_code == 404
    assert AuditEvent.objects.filter(patient=patient_record, action=Action.DENIED).exists()
