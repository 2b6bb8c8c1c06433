"""Program outcomes: reliable improvement, recovery and deterioration at discharge and
follow-up, from a small hand-built set of episodes whose numbers can be checked by hand."""

import datetime as dt

import pytest

from openiop.audit.models import Action, AuditEvent
from openiop.care import services as care
from openiop.measures import services as measures
from openiop.measures.models import Administration, Occasion
from tests.clinic.test_measure_screens import enter_phq9
from tests.factories.clinic import admit, make_patient

pytestmark = pytest.mark.django_db

ADMITTED_ON = dt.date(2026, 7, 1)
DISCHARGED_ON = dt.date(2026, 9, 1)
FOLLOW_UP_ON = DISCHARGED_ON + dt.timedelta(days=30)
OUTCOMES_URL = "/clinic/measures/outcomes/"


def episode_with_scores(clinic, clinician, program, name, admission, discharge=None, follow_up=None):
    """Admit, answer the admission PHQ-9, discharge, answer the discharge PHQ-9 and the 30-day
    follow-up, each by completing the administration the schedule made due."""
    patient = make_patient(organization=clinic["organization"], program=program, legal_last_name=name)
    episode = admit(patient=patient, program=program, clinician=clinician, admitted_on=ADMITTED_ON)
    baseline = enter_phq9(patient, clinician, admission, ADMITTED_ON)
    assert baseline.occasion == Occasion.ADMISSION
    care.discharge_patient(actor=clinician, episode=episode, discharged_on=DISCHARGED_ON, reason="completed")
    if discharge is not None:
        answered = enter_phq9(patient, clinician, discharge, DISCHARGED_ON)
        assert answered.occasion == Occasion.DISCHARGE
    if follow_up is not None:
        episode.refresh_from_db()
        measures.schedule_after_discharge(episode, today=FOLLOW_UP_ON, actor=None)
        answered = enter_phq9(patient, clinician, follow_up, FOLLOW_UP_ON)
        assert answered.occasion == Occasion.FOLLOW_UP
    return patient


@pytest.fixture
def discharged(clinic, clinician):
    """PHQ-9 (reliable change 6 points, caseness 10) in the substance-use program:

    Irwin   20 → 8  at discharge, 6 at follow-up: reliable improvement and recovery both times
    Jones   12 → 10 at discharge: no reliable change, still at caseness
    Kaur     8 → 15 at discharge: reliable deterioration (not at caseness at baseline)
    Lopez   15 → 9  at discharge: reliable improvement (6 points) and recovery
    Moss    20 → 2  at discharge, but that entry was a mistake: left out
    and in the mental-health program, Nakamura 18 → 4: improvement and recovery.
    """
    sud, mh = clinic["sud"], clinic["mh"]
    episode_with_scores(clinic, clinician, sud, "Irwin", 20, discharge=8, follow_up=6)
    episode_with_scores(clinic, clinician, sud, "Jones", 12, discharge=10)
    episode_with_scores(clinic, clinician, sud, "Kaur", 8, discharge=15)
    episode_with_scores(clinic, clinician, sud, "Lopez", 15, discharge=9)
    moss = episode_with_scores(clinic, clinician, sud, "Moss", 20, discharge=2)
    wrong = Administration.objects.get(patient=moss, occasion=Occasion.DISCHARGE, instrument_code="PHQ-9")
    measures.mark_entered_in_error(actor=clinician, administration=wrong, reason="Another patient's form")
    mh.measure_schedules.create(instrument_code="PHQ-9", every_days=7, follow_up_days=[30])
    episode_with_scores(clinic, clinician, mh, "Nakamura", 18, discharge=4)


def outcome_row(html, program_name, instrument, timepoint):
    section = html[html.index(f">{program_name}"):]
    section = section[:section.index("</section>")]
    for row in section.split("<tr>")[2:]:
        if f'data-label="Instrument">{instrument}<' in row and timepoint in row:
            return row
    raise AssertionError(f"no {instrument} {timepoint} row for {program_name}")


def test_the_director_sees_the_shares_at_discharge(client, director, discharged):
    client.force_login(director)
    html = client.get(OUTCOMES_URL).text
    row = outcome_row(html, "Adult substance-use IOP", "PHQ-9", "At discharge")
    assert 'data-label="Patients">4<' in row
    assert "50 % <span class=\"muted\">(2 of 4)" in row          # Irwin, Lopez
    assert "67 % <span class=\"muted\">(2 of 3 at caseness)" in row  # Irwin, Lopez of Irwin, Jones, Lopez
    assert "25 % <span class=\"muted\">(1 of 4)" in row          # Kaur


def test_the_follow_up_counts_only_patients_with_a_follow_up_score(client, director, discharged):
    client.force_login(director)
    row = outcome_row(client.get(OUTCOMES_URL).text, "Adult substance-use IOP", "PHQ-9", "At follow-up")
    assert 'data-label="Patients">1<' in row
    assert "100 % <span class=\"muted\">(1 of 1)" in row


def test_each_program_is_counted_on_its_own(client, director, discharged):
    client.force_login(director)
    row = outcome_row(client.get(OUTCOMES_URL).text, "Adult mental-health IOP", "PHQ-9", "At discharge")
    assert 'data-label="Patients">1<' in row
    assert "100 % <span class=\"muted\">(1 of 1)" in row


def test_it_names_no_patient_and_explains_the_numbers(client, director, discharged):
    # The director's own (random) name is on the page; keep it clear of the patients' names.
    director.first_name, director.last_name = "Dana", "Director"
    director.save()
    client.force_login(director)
    html = client.get(OUTCOMES_URL).text
    for name in ("Irwin", "Jones", "Kaur", "Lopez", "Moss", "Nakamura"):
        assert name not in html
    assert "no patient is named" in html
    assert "Reliable recovery</dt>" in html
    assert "threshold 6 points" in html and "IAPT" in html


def test_opening_it_is_audited_as_one_aggregate_report(client, director, discharged):
    client.force_login(director)
    client.get(OUTCOMES_URL)
    event = AuditEvent.objects.get(user=director, action=Action.LIST)
    assert event.patient is None
    assert event.detail["report"] == "program outcomes" and event.detail["aggregate"] is True


@pytest.mark.parametrize("persona_name", ["clinician", "outsider", "front_desk", "biller", "intake",
                                          "privacy_officer", "admin_user", "patient_user"])
def test_only_the_director_sees_outcomes(client, persona, persona_name, clinic):
    client.force_login(persona(persona_name))
    assert client.get(OUTCOMES_URL).status_code == 404


def test_it_says_when_there_is_nothing_to_count(client, director, clinic):
    client.force_login(director)
    assert "No discharged patients with a baseline" in client.get(OUTCOMES_URL).text


@pytest.mark.parametrize("count", [1, 6])
def test_outcomes_use_the_same_queries_for_1_and_6_episodes(
    client, clinic, clinician, director, count, django_assert_num_queries
):
    for number in range(count):
        episode_with_scores(clinic, clinician, clinic["sud"], f"Person{number}", 16, discharge=5)
    client.force_login(director)
    client.get(OUTCOMES_URL)
    # Session, user; episodes and their measures (two); imported instruments; programs for
    # the schedule links; one audit insert.
    with django_assert_num_queries(7):
        assert client.get(OUTCOMES_URL).status_code == 200
