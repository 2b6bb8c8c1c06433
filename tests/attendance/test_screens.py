"""The attendance screens: the roster taken in the room, a patient's attendance, the weekly
attended hours and the outreach call; who may open them, what a mistake looks like, and what
each costs in queries (the same for one patient as for many)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openiop.attendance import queries
from openiop.attendance.models import Attendance
from openiop.audit.models import Action, AuditEvent
from openiop.worklist.models import Task, TaskKind
from tests.attendance.helpers import local, record, session_at
from tests.factories.clinic import admit, make_patient
from tests.scheduling.screens_clinic import NOW, TODAY, WEEK, frozen

pytestmark = pytest.mark.django_db

MONDAY = WEEK                      # Monday 30 November 2026; now is Tuesday 09:00


@pytest.fixture(autouse=True)
def _now():
    with frozen():
        yield


def another(clinic, clinician, first, last="Okafor"):
    patient = make_patient(organization=clinic["organization"], program=clinic["sud"], legal_first_name=first,
                           legal_last_name=last, date_of_birth=dt.date(1992, 3, 4))
    admit(patient=patient, program=clinic["sud"], clinician=clinician)
    return patient


@pytest.fixture
def group(clinic, clinician, patient_record):
    dana = another(clinic, clinician, "Dana")
    session, rows = session_at(clinic["sud"], clinician, local(MONDAY, 18), local(MONDAY, 21),
                               patients=[patient_record, dana])
    return {"session": session, "rows": rows, "dana": dana}


def roster_url(session):
    return reverse("clinic:session_attendance", kwargs={"session_id": session.pk})


def post_data(rows, **per_row):
    data = {}
    for row in rows:
        values = {"status": "present", "checked_in_at": "18:00", "checked_out_at": "21:00", "absence_reason": ""}
        values.update(per_row.get(row.patient.legal_first_name, {}))
        data.update({f"a{row.pk}-{name}": value for name, value in values.items() if value is not None})
    return data


def test_the_roster_shows_each_patient_with_the_session_times_filled_in(client, clinician, group):
    client.force_login(clinician)
    response = client.get(roster_url(group["session"]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Ave Quinlan" in text and "Dana Okafor" in text
    assert 'value="18:00"' in text and 'value="21:00"' in text
    assert 'type="radio"' in text
    assert AuditEvent.objects.filter(action=Action.VIEW, detail__page="attendance roster").count() == 2


def test_taking_the_roster_saves_every_row_in_one_go(client, clinician, group):
    client.force_login(clinician)
    data = post_data(group["rows"], Dana={"status": "late", "checked_in_at": "18:17", "checked_out_at": "20:35"})
    response = client.post(roster_url(group["session"]), data)
    assert response.status_code == 302
    minutes = dict(Attendance.objects.values_list("patient__legal_first_name", "minutes"))
    assert minutes == {"Avery": 180, "Dana": 138}


def test_an_unexcused_absence_on_the_roster_puts_a_call_on_the_worklist(client, front_desk, clinician, group):
    client.force_login(front_desk)
    data = post_data(group["rows"], Dana={"status": "absent_unexcused"})
    response = client.post(roster_url(group["session"]), data, follow=True)
    assert "a call is on the worklist" in response.content.decode()
    task = Task.objects.get(kind=TaskKind.OUTREACH)
    assert task.patient == group["dana"] and task.assignee == clinician
    assert Attendance.objects.get(patient=group["dana"]).checked_in_at is None


def test_a_mistake_names_the_patient_and_field_and_keeps_what_was_typed(client, clinician, group):
    client.force_login(clinician)
    data = post_data(group["rows"], Avery={"status": "absent_excused", "absence_reason": ""},
                     Dana={"status": "late", "checked_in_at": "18:00", "checked_out_at": "20:41"})
    response = client.post(roster_url(group["session"]), data)
    assert response.status_code == 400
    text = response.content.decode()
    assert "Dana Okafor: Checked in:" in text and "after the start" in text
    assert "Ave Quinlan: Reason for the absence:" in text
    assert 'value="20:41"' in text
    assert not Attendance.objects.exists()


def test_a_roster_with_nothing_chosen_says_so(client, clinician, group):
    client.force_login(clinician)
    data = post_data(group["rows"], Avery={"status": None}, Dana={"status": None})
    response = client.post(roster_url(group["session"]), data)
    assert response.status_code == 400
    assert "at least one patient" in response.content.decode()


def test_a_clinician_outside_the_care_team_gets_404(client, outsider, group):
    client.force_login(outsider)
    assert client.get(roster_url(group["session"])).status_code == 404
    assert client.post(roster_url(group["session"]), post_data(group["rows"])).status_code == 404
    assert not Attendance.objects.exists()


def test_front_desk_may_take_the_roster_and_billing_may_not(client, front_desk, biller, group):
    client.force_login(biller)
    assert client.get(roster_url(group["session"])).status_code == 404
    client.force_login(front_desk)
    assert client.get(roster_url(group["session"])).status_code == 200
    assert client.post(roster_url(group["session"]), post_data(group["rows"])).status_code == 302
    assert Attendance.objects.count() == 2


def test_a_correction_on_the_roster_is_kept_with_the_new_minutes(client, clinician, group):
    record(clinician, group["rows"][0], "present")
    client.force_login(clinician)
    data = post_data(group["rows"], Avery={"status": "left_early", "checked_out_at": "20:00"}, Dana={"status": None})
    assert client.post(roster_url(group["session"]), data).status_code == 302
    assert Attendance.objects.get(patient__legal_first_name="Avery").minutes == 120


def test_the_patient_attendance_page_shows_weeks_and_hours(client, biller, clinician, group, patient_record, outsider):
    record(clinician, group["rows"][0], "late", checked_in_at=local(MONDAY, 18, 17), checked_out_at=local(MONDAY, 20, 35))
    url = reverse("clinic:patient_attendance", kwargs={"mrn": patient_record.mrn})
    client.force_login(biller)
    response = client.get(url)
    assert response.status_code == 200
    text = response.content.decode()
    assert "2.30 hours attended" in text and "(138 minutes)" in text and "Late" in text
    assert "Dana" not in text
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_the_attended_hours_list_puts_patients_below_the_band_first(client, director, clinician, group, front_desk):
    record(clinician, group["rows"][0], "present")
    client.force_login(director)
    response = client.get(reverse("clinic:attended_hours"), {"week": MONDAY.isoformat()})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Below the program's weekly band (2)" in text
    assert "3.00 h" in text
    assert AuditEvent.objects.filter(action=Action.LIST, detail__list="attended hours").count() == 2
    client.force_login(front_desk)
    assert client.get(reverse("clinic:attended_hours")).status_code == 404


def test_the_outreach_call_is_recorded_from_its_page(client, clinician, group, outsider):
    record(clinician, group["rows"][1], "absent_unexcused")
    task = Task.objects.get(kind=TaskKind.OUTREACH)
    url = reverse("clinic:outreach", kwargs={"task_id": task.pk})
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(clinician)
    page = client.get(url)
    assert page.status_code == 200 and "Dana Okafor" in page.content.decode()
    bad = client.post(url, {"outcome": "", "note": "typed note"})
    assert bad.status_code == 400 and "typed note" in bad.content.decode()
    assert client.post(url, {"outcome": "reached", "note": "Coming Thursday"}).status_code == 302
    task.refresh_from_db()
    assert task.outcome == "reached" and task.done_by == clinician


def test_the_chart_links_to_the_attendance_page(client, front_desk, patient_record):
    client.force_login(front_desk)
    response = client.get(reverse("clinic:patient_chart", kwargs={"mrn": patient_record.mrn}))
    assert reverse("clinic:patient_attendance", kwargs={"mrn": patient_record.mrn}) in response.content.decode()


# Query counts ---------------------------------------------------------------------------------------------


def count(callable_):
    """Queries of one call, after a first call that warms up the session and caches."""
    callable_()
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured)


def more_patients(clinic, clinician, session, n):
    from tests.scheduling.screens_clinic import seat

    return [seat(session, another(clinic, clinician, f"Extra{i}", f"Person{i}")) for i in range(n)]


def test_the_roster_costs_the_same_for_one_patient_and_many(client, clinic, clinician, patient_record):
    one, (_row,) = session_at(clinic["sud"], clinician, local(MONDAY, 18), local(MONDAY, 21), patients=[patient_record])
    many, _ = session_at(clinic["sud"], clinician, local(MONDAY, 10), local(MONDAY, 13), patients=[patient_record])
    more_patients(clinic, clinician, many, 4)
    client.force_login(clinician)
    assert count(lambda: client.get(roster_url(one))) == count(lambda: client.get(roster_url(many)))


def test_attended_hours_and_patient_pages_cost_the_same_for_one_and_many(client, clinic, director, clinician,
                                                                         patient_record):
    session, (row,) = session_at(clinic["sud"], clinician, local(MONDAY, 18), local(MONDAY, 21),
                                 patients=[patient_record])
    record(clinician, row, "present")
    client.force_login(director)
    hours_url = reverse("clinic:attended_hours") + f"?week={MONDAY.isoformat()}"
    page_url = reverse("clinic:patient_attendance", kwargs={"mrn": patient_record.mrn})
    few_hours, few_page = count(lambda: client.get(hours_url)), count(lambda: client.get(page_url))
    for row in more_patients(clinic, clinician, session, 4):
        record(clinician, row, "present")
    for weeks_back in (1, 2, 3):
        day = MONDAY - dt.timedelta(weeks=weeks_back)
        _, (older,) = session_at(clinic["sud"], clinician, local(day, 18), local(day, 21), patients=[patient_record])
        record(clinician, older, "absent_excused", absence_reason="Ill")
    assert count(lambda: client.get(hours_url)) == few_hours
    assert count(lambda: client.get(page_url)) == few_page


def test_the_clinicians_day_lists_cost_one_query_each(clinic, clinician, director, patient_record):
    def day_lists():
        queries.sessions_to_take(clinician, TODAY, NOW)
        queries.open_outreach(clinician)

    first, (_row,) = session_at(clinic["sud"], clinician, local(TODAY, 8), local(TODAY, 11), patients=[patient_record])
    baseline = count(day_lists)
    band = count(lambda: queries.below_band(director, MONDAY))
    for hour in (6, 7):
        _, rows = session_at(clinic["sud"], clinician, local(TODAY, hour), local(TODAY, hour, 50),
                             patients=[patient_record])
        record(clinician, rows[0], "absent_unexcused")
    more_patients(clinic, clinician, first, 3)
    assert count(day_lists) == baseline == 2
    assert count(lambda: queries.below_band(director, MONDAY)) == band


def test_sessions_to_take_are_the_started_ones_with_rows_left(clinic, clinician, patient_record):
    started, (row,) = session_at(clinic["sud"], clinician, local(TODAY, 8), local(TODAY, 11), patients=[patient_record])
    session_at(clinic["sud"], clinician, local(TODAY, 18), local(TODAY, 21), patients=[patient_record])
    (found,) = queries.sessions_to_take(clinician, TODAY, NOW)
    assert found == started and (found.roster_size, found.taken) == (1, 0)
    record(clinician, row, "present")
    assert queries.sessions_to_take(clinician, TODAY, NOW) == []


def test_below_band_lists_a_clinicians_own_patients_and_everyone_for_the_director(
        clinic, clinician, director, outsider, patient_record, other_patient_user):
    names = {row.patient.pk for row in queries.below_band(clinician, MONDAY)}
    assert names == {patient_record.pk}
    everyone = {row.patient.pk for row in queries.below_band(director, MONDAY)}
    assert everyone == {patient_record.pk, other_patient_user.patient.pk}
    assert queries.below_band(outsider, MONDAY) == []
