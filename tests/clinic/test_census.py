"""The program census page and the Medicare recertifications due on the home page."""

import datetime as dt

import pytest
from django.utils import timezone

from openiop.audit.models import AuditEvent
from openiop.care import services as care
from tests.factories.clinic import admit, make_patient

pytestmark = pytest.mark.django_db


def _patients(clinic, clinician, count, program_key="sud"):
    episodes = []
    for number in range(count):
        patient = make_patient(
            organization=clinic["organization"], program=clinic[program_key],
            legal_first_name=f"Sam{number}", legal_last_name="Censusperson", date_of_birth=dt.date(1980, 1, 1),
        )
        episodes.append(admit(patient=patient, program=clinic[program_key], clinician=clinician,
                              admitted_on=timezone.localdate() - dt.timedelta(days=10)))
    return episodes


def test_it_lists_current_patients_per_program_with_days_hours_level_and_clinician(client, clinic, clinician, director):
    episode = _patients(clinic, clinician, 1)[0]
    episode.planned_weekly_hours = 12
    episode.save()
    client.force_login(director)
    html = client.get("/clinic/census/").text
    section = html[html.index("Adult substance-use IOP"):]
    row = section[section.index("Censusperson, Sam0"):section.index("</tr>", section.index("Censusperson, Sam0"))]
    assert (timezone.localdate() - dt.timedelta(days=10)).isoformat() in row
    assert ">10<" in row
    assert "12.0" in row
    assert "Intensive outpatient (IOP)" in row
    assert clinician.display_name in row
    assert "Adult mental-health IOP" in html  # an empty program reads as empty
    assert "No current patients." in html


def test_it_leaves_out_discharged_patients(client, clinic, clinician, director):
    episode = _patients(clinic, clinician, 1)[0]
    care.discharge_patient(actor=director, episode=episode, discharged_on=timezone.localdate(), reason="completed")
    client.force_login(director)
    assert "Censusperson" not in client.get("/clinic/census/").text


def test_a_clinician_sees_only_their_programs_and_every_row_is_audited(client, clinic, clinician, outsider):
    _patients(clinic, clinician, 2)
    client.force_login(outsider)
    html = client.get("/clinic/census/").text
    assert "Censusperson" not in html
    assert "Adult substance-use IOP" not in html
    client.force_login(clinician)
    assert client.get("/clinic/census/").text.count("Censusperson, Sam") == 2
    assert AuditEvent.objects.filter(user=clinician, action="list", detail__list="census").count() == 2


@pytest.mark.parametrize("persona_name", ["privacy_officer", "admin_user", "patient_user", "family_user"])
def test_the_census_is_not_found_for_roles_without_charts(client, persona, persona_name):
    client.force_login(persona(persona_name))
    assert client.get("/clinic/census/").status_code == 404


def test_the_census_link_is_in_the_clinic_navigation(client, intake):
    client.force_login(intake)
    assert 'href="/clinic/census/"' in client.get("/clinic/").text


@pytest.mark.parametrize("count", [1, 30])
def test_the_census_uses_the_same_queries_for_1_and_30_patients(client, clinic, clinician, count, django_assert_num_queries):
    _patients(clinic, clinician, count)
    client.force_login(clinician)
    client.get("/clinic/census/")
    # Session, user, programs, episodes, primary clinicians, one audit insert.
    with django_assert_num_queries(6):
        response = client.get("/clinic/census/")
    assert response.text.count("Censusperson, Sam") == count


# Recertifications due (home page)

def _certify(actor, episode, *, certified_on):
    return care.record_medicare_certification(
        actor=actor, episode=episode, certified_on=certified_on, physician_name="Dr. Ana Ruiz",
        needs_at_least_nine_hours=True,
    )


def test_a_due_recertification_is_on_the_clinicians_and_directors_home(client, clinic, clinician, director, outsider):
    episode = _patients(clinic, clinician, 1)[0]
    today = timezone.localdate()
    _certify(director, episode, certified_on=today - dt.timedelta(days=50))  # due in 10 days
    for user in (clinician, director):
        client.force_login(user)
        html = client.get("/clinic/").text
        section = html[html.index("Recertifications due"):]
        assert "Censusperson, Sam0" in section
        assert (today + dt.timedelta(days=10)).isoformat() in section
    client.force_login(outsider)
    html = client.get("/clinic/").text
    assert "Recertifications due (0)" in html
    assert "Censusperson" not in html


def test_an_overdue_recertification_is_marked_and_a_newer_one_replaces_it(client, clinic, clinician, director):
    episode = _patients(clinic, clinician, 1)[0]
    today = timezone.localdate()
    _certify(director, episode, certified_on=today - dt.timedelta(days=70))  # overdue by 10 days
    client.force_login(clinician)
    html = client.get("/clinic/").text
    assert "Overdue" in html
    assert AuditEvent.objects.filter(user=clinician, action="list", detail__list="recertifications due").exists()
    care.record_medicare_certification(
        actor=director, episode=episode, certified_on=today, physician_name="Dr. Ana Ruiz",
        needs_at_least_nine_hours=True, is_recertification=True,
    )
    html = client.get("/clinic/").text
    assert "Recertifications due (0)" in html
    assert "None due in the next 14 days." in html


def test_a_recertification_due_later_is_not_listed(client, clinic, clinician):
    episode = _patients(clinic, clinician, 1)[0]
    _certify(clinician, episode, certified_on=timezone.localdate() - dt.timedelta(days=10))  # due in 50 days
    client.force_login(clinician)
    assert "Recertifications due (0)" in client.get("/clinic/").text


def test_intake_has_no_recertification_list(client, intake):
    client.force_login(intake)
    assert "Recertifications due" not in client.get("/clinic/").text
