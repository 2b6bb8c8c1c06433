"""The clinician's day on /clinic/: today's sessions with their rosters, notes to write and sign,
co-signatures, tasks one click from their work, and patients below their weekly hours; the
director's compliance list. Now is Tuesday 1 December 2026, 09:00 (tests/scheduling/screens_clinic.py)."""

import datetime as dt

import pytest

from openiop.attendance import services as attendance
from openiop.audit.models import AuditEvent
from openiop.documentation import services as notes
from openiop.scheduling.models import SessionKind
from openiop.worklist.models import Task, TaskKind
from tests.factories.clinic import UserFactory, admit, make_patient
from tests.scheduling.screens_clinic import (
    TODAY,
    at,
    build_setup,
    frozen,
    make_series,
    one_to_one,
    series_session,
)

pytestmark = pytest.mark.django_db
YESTERDAY = TODAY - dt.timedelta(days=1)
LAST_FRIDAY = dt.date(2026, 11, 27)


@pytest.fixture(autouse=True)
def _now():
    with frozen():
        yield


@pytest.fixture
def setup(clinic, clinician, patient_record):
    return build_setup(clinic, clinician, patient_record)


def morning_group(setup, patients):
    """A group from 08:00 to 08:50 today: it has started (and ended) by 09:00."""
    series = make_series(setup, weekday=TODAY.weekday(), start=dt.time(8), minutes=50, starts_on=dt.date(2026, 11, 3))
    return series_session(series, TODAY, patients=patients)


def home(client, user):
    client.force_login(user)
    response = client.get("/clinic/")
    assert response.status_code == 200
    return response.text


def test_todays_group_shows_with_its_roster_and_attendance_to_take(client, setup):
    session = morning_group(setup, [setup["patient"], setup["second"]])
    text = home(client, setup["clinician"])
    assert "My sessions today" in text and "Attendance to take" in text
    assert f"/clinic/schedule/sessions/{session.pk}/attendance/" in text
    assert f"/clinic/schedule/sessions/{session.pk}/note/" in text
    assert "Avery" in text or "Ave" in text


def test_once_attendance_is_taken_the_group_asks_for_its_note(client, setup):
    session = morning_group(setup, [setup["patient"], setup["second"]])
    for row in session.attendees.all():
        attendance.record_attendance(actor=setup["clinician"], attendee=row, status="present")
    text = home(client, setup["clinician"])
    assert "Attendance to take" not in text
    assert "Notes to write" in text and "Group note: Process group" in text
    assert "2 member parts to write" in text


def test_an_attended_one_to_one_without_a_note_is_on_the_list_to_write(client, setup):
    session = one_to_one(setup, at(YESTERDAY, 15), patient=setup["patient"])
    attendance.record_attendance(actor=setup["clinician"], attendee=session.attendees.get(), status="present")
    text = home(client, setup["clinician"])
    assert f"/clinic/patients/{setup['patient'].mrn}/notes/new/?session={session.pk}" in text
    assert "Individual therapy with" in text


def test_a_draft_waits_to_be_signed_and_the_director_sees_it_overdue(client, setup, director):
    session = one_to_one(setup, at(dt.date(2026, 11, 27), 15), patient=setup["patient"])
    row = attendance.record_attendance(actor=setup["clinician"], attendee=session.attendees.get(), status="present")
    note = notes.start_note(actor=setup["clinician"], patient=setup["patient"], kind=SessionKind.INDIVIDUAL,
                            template="dap", session=session, attendance=row)
    text = home(client, setup["clinician"])
    assert "Drafts to sign (1)" in text and f"/clinic/notes/{note.pk}/" in text
    assert "not signed within 24 hours" in text
    director_home = home(client, director)
    assert "Documentation compliance" in director_home
    assert "1</strong> note not signed within 24 hours" in director_home
    assert setup["clinician"].display_name in director_home


def test_an_absence_puts_the_call_on_the_list_one_click_from_the_outreach_page(client, setup):
    session = morning_group(setup, [setup["patient"]])
    attendance.record_attendance(actor=setup["clinician"], attendee=session.attendees.get(), status="absent_unexcused")
    task = Task.objects.get(kind=TaskKind.OUTREACH)
    text = home(client, setup["clinician"])
    assert f"/clinic/attendance/outreach/{task.pk}/" in text
    # The call is recorded with its outcome there, not marked done from the home page.
    assert f"/clinic/tasks/{task.pk}/done/" not in text


def test_patients_below_the_band_last_week_are_listed_for_their_clinician_and_the_director(client, setup, director):
    # Last week Avery came to one 50-minute group: far below the program's 9 hours.
    series = make_series(setup, weekday=LAST_FRIDAY.weekday(), start=dt.time(18), minutes=50)
    past = series_session(series, LAST_FRIDAY, patients=[setup["patient"]])
    attendance.record_attendance(actor=setup["clinician"], attendee=past.attendees.get(), status="present")
    text = home(client, setup["clinician"])
    assert "Below the weekly hours last week" in text
    assert f"/clinic/patients/{setup['patient'].mrn}/attendance/" in text and "0.83 h" in text
    assert f"/clinic/patients/{setup['patient'].mrn}/attendance/" in home(client, director)


def test_an_outsider_sees_none_of_it(client, setup, outsider):
    morning_group(setup, [setup["patient"]])
    text = home(client, outsider)
    assert setup["patient"].mrn not in text and "Quinlan" not in text


def test_every_patient_named_on_the_day_is_in_the_audit_trail(client, setup):
    morning_group(setup, [setup["patient"], setup["second"]])
    home(client, setup["clinician"])
    listed = set(AuditEvent.objects.filter(detail__list="clinician's day").values_list("patient_id", flat=True))
    assert {setup["patient"].pk, setup["second"].pk} <= listed


def test_front_desk_gets_no_clinical_day(client, setup, front_desk):
    morning_group(setup, [setup["patient"]])
    text = home(client, front_desk)
    assert "My sessions today" not in text and "Documentation compliance" not in text


def _crowd(setup, count):
    patients = []
    for n in range(count):
        patient = make_patient(organization=setup["organization"], program=setup["sud"], legal_first_name=f"Pat{n}",
                               legal_last_name="Dayrows", date_of_birth=dt.date(1990, 1, 1 + n))
        admit(patient=patient, program=setup["sud"], clinician=setup["clinician"])
        patients.append(patient)
    return patients


@pytest.mark.parametrize("count", [1, 6])
def test_the_day_costs_the_same_queries_for_one_or_many_patients(client, setup, count, django_assert_num_queries):
    patients = _crowd(setup, count)
    today = morning_group(setup, patients)
    yesterday = one_to_one(setup, at(YESTERDAY, 15), patient=patients[0])
    attendance.record_attendance(actor=setup["clinician"], attendee=yesterday.attendees.get(), status="present")
    for row in today.attendees.all()[:1]:
        attendance.record_attendance(actor=setup["clinician"], attendee=row, status="absent_unexcused")
    client.force_login(setup["clinician"])
    client.get("/clinic/")
    with django_assert_num_queries(QUERIES_FOR_THE_DAY):
        response = client.get("/clinic/")
    assert response.text.count("Dayrows") >= count


def test_a_supervisor_sees_the_cosignature_waiting(client, setup):
    supervisor = UserFactory(username="supervisor", role="clinician", organization=setup["organization"])
    supervisor.programs.set([setup["sud"]])
    trainee = setup["clinician"]
    trainee.requires_cosignature = True
    trainee.supervisor = supervisor
    trainee.save()
    session = one_to_one(setup, at(YESTERDAY, 15), patient=setup["patient"])
    row = attendance.record_attendance(actor=trainee, attendee=session.attendees.get(), status="present")
    note = notes.start_note(actor=trainee, patient=setup["patient"], kind=SessionKind.INDIVIDUAL, template="dap",
                            session=session, attendance=row)
    notes.save_note(actor=trainee, note=note, body={"data": "Came on time.", "assessment": "Engaged.",
                                                    "plan": "Next week."},
                    time_in=session.starts_at, time_out=session.ends_at, objectives=[])
    notes.sign_note(actor=trainee, note=note, attestation="I attest.")
    text = home(client, supervisor)
    assert "Co-signatures waiting (1)" in text and f"/clinic/notes/{note.pk}/" in text


# Measured once and kept: session and user, tasks, the domain queries of the day (each a fixed
# number), the audit write. A change here means a list started costing a query per row.
QUERIES_FOR_THE_DAY = 36
