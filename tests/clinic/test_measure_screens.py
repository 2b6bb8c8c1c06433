"""The clinic's measure review screens: due list, a patient's trends, one administration,
the printable trend, per-patient cadence and program schedules."""

import datetime as dt

import pytest
from django.urls import reverse

from openiop.audit.models import Action, AuditEvent
from openiop.measures import services as measures
from openiop.measures.models import Administration, MeasureSchedule, Mode, PatientSchedule, Status
from tests.factories.clinic import admit, make_patient

pytestmark = pytest.mark.django_db

ADMITTED_ON = dt.date(2026, 10, 1)


def phq9(total, *, item9=0):
    """PHQ-9 answers adding up to `total`, with question 9 answered `item9`."""
    answers, remaining = {}, total - item9
    for number in range(1, 9):
        answers[str(number)] = min(3, max(remaining, 0))
        remaining -= answers[str(number)]
    answers["9"] = item9
    assert remaining <= 0 and sum(answers.values()) == total
    return answers


def enter_phq9(patient, actor, total, on, **kwargs):
    return measures.record_answers(
        actor=actor, patient=patient, instrument_code="PHQ-9", answers=phq9(total, **kwargs),
        mode=Mode.PAPER, answered_on=on,
    )


@pytest.fixture
def scored_record(patient_record, clinician):
    """`patient_record` with a PHQ-9 of 20 at admission (the baseline) and 12 three weeks later."""
    baseline = enter_phq9(patient_record, clinician, 20, ADMITTED_ON)
    later = enter_phq9(patient_record, clinician, 12, ADMITTED_ON + dt.timedelta(days=21))
    return {"patient": patient_record, "baseline": baseline, "later": later}


def measures_url(patient):
    return reverse("clinic:patient_measures", kwargs={"mrn": patient.mrn})


def detail_url(administration):
    return reverse("clinic:measure_detail", kwargs={"mrn": administration.patient.mrn,
                                                     "administration_id": administration.pk})


def patient_pages(patient, administration):
    mrn = patient.mrn
    return [
        measures_url(patient),
        reverse("clinic:patient_measures_summary", kwargs={"mrn": mrn}),
        detail_url(administration),
        reverse("clinic:measure_print", kwargs={"mrn": mrn, "code": "PHQ-9"}),
        reverse("clinic:add_measure", kwargs={"mrn": mrn}),
        reverse("clinic:change_measure_cadence", kwargs={"mrn": mrn}),
    ]


# Who sees what ------------------------------------------------------------------------------------


def test_the_outsider_gets_404_on_every_patient_measure_page(client, outsider, scored_record):
    client.force_login(outsider)
    patient = scored_record["patient"]
    for url in patient_pages(patient, scored_record["baseline"]):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"reason": "x", "add-instrument": "PCL-5"}).status_code == 404, url
    assert Administration.objects.get(pk=scored_record["baseline"].pk).status == Status.COMPLETED
    assert not Administration.objects.filter(patient=patient, instrument_code="PCL-5").exists()


def test_a_refused_measures_page_is_in_the_patients_access_report(client, outsider, scored_record):
    client.force_login(outsider)
    client.get(measures_url(scored_record["patient"]))
    assert AuditEvent.objects.filter(user=outsider, action=Action.DENIED, patient=scored_record["patient"]).exists()


@pytest.mark.parametrize("persona_name", ["front_desk", "biller", "intake", "privacy_officer", "admin_user"])
def test_non_clinical_staff_get_404_on_scores(client, persona, persona_name, scored_record):
    client.force_login(persona(persona_name))
    urls = [*patient_pages(scored_record["patient"], scored_record["baseline"]),
            reverse("clinic:measures_due"), reverse("clinic:measure_outcomes")]
    for url in urls:
        assert client.get(url).status_code == 404, url


def test_front_desk_sees_no_measures_on_the_chart_or_home_page(client, front_desk, scored_record):
    client.force_login(front_desk)
    chart = client.get(reverse("clinic:patient_chart", kwargs={"mrn": scored_record["patient"].mrn})).text
    home = client.get(reverse("clinic:home")).text
    assert "Measures" not in chart
    assert "Measures due" not in home


# The patient's measures page ---------------------------------------------------------------------


def test_the_clinician_sees_the_chart_with_bands_baseline_and_a_data_table(client, clinician, scored_record):
    client.force_login(clinician)
    response = client.get(measures_url(scored_record["patient"]))
    html = response.text
    assert response.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart"' in html
    for band in range(5):
        assert f'class="band band-{band}"' in html
    assert 'class="baseline"' in html
    table = html[html.index('class="responsive trend-table"'):]
    assert "Baseline" in table
    assert "2026-10-01" in table and "2026-10-22" in table
    assert "reliable improvement" in table  # 20 → 12 is 8 points, the threshold is 6
    assert "6 points" in html and "IAPT" in html


def test_the_page_is_audited_as_a_view_of_the_patient(client, clinician, scored_record):
    client.force_login(clinician)
    client.get(measures_url(scored_record["patient"]))
    assert AuditEvent.objects.filter(user=clinician, action=Action.VIEW, patient=scored_record["patient"],
                                     detail__page="measures").count() == 1


def test_it_highlights_a_suicide_risk_answer(client, clinician, patient_record):
    enter_phq9(patient_record, clinician, 14, ADMITTED_ON, item9=2)
    client.force_login(clinician)
    html = client.get(measures_url(patient_record)).text
    assert 'class="alert alert-danger flag-safety" role="alert"' in html
    assert "Thoughts of death or self-harm reported" in html


def test_it_lists_open_measures_with_their_due_dates(client, clinician, patient_record):
    client.force_login(clinician)
    html = client.get(measures_url(patient_record)).text
    # admit_patient made PHQ-9, GAD-7, AUDIT-C and the craving scale due on the admission day.
    for code in ("PHQ-9", "GAD-7", "AUDIT-C", "Craving"):
        assert f">{code} <span" in html
    assert "At admission: due 2026-10-01" in html
    assert "overdue" in html


def test_it_links_to_paper_entry_and_the_kiosk(client, clinician, patient_record):
    client.force_login(clinician)
    html = client.get(measures_url(patient_record)).text
    assert f"/clinic/patients/{patient_record.mrn}/measures/enter/" in html
    assert f'action="/clinic/patients/{patient_record.mrn}/measures/kiosk/"' in html


def test_a_clinician_adds_an_instrument_outside_the_schedule(client, clinician, patient_record):
    client.force_login(clinician)
    response = client.post(reverse("clinic:add_measure", kwargs={"mrn": patient_record.mrn}),
                           {"add-instrument": "PCL-5"})
    assert response.status_code == 302
    added = Administration.objects.get(patient=patient_record, instrument_code="PCL-5")
    assert added.status == Status.DUE and added.occasion == "ad_hoc"


def test_adding_without_choosing_an_instrument_names_the_field(client, clinician, patient_record):
    client.force_login(clinician)
    response = client.post(reverse("clinic:add_measure", kwargs={"mrn": patient_record.mrn}), {"add-instrument": ""})
    assert response.status_code == 400
    assert "Instrument: Choose the instrument to ask." in response.text


def test_a_patients_cadence_needs_a_reason(client, clinician, patient_record):
    client.force_login(clinician)
    url = reverse("clinic:change_measure_cadence", kwargs={"mrn": patient_record.mrn})
    response = client.post(url, {"cadence-instrument": "PHQ-9", "cadence-every_days": "3", "cadence-reason": "  "})
    assert response.status_code == 400
    assert "Reason: Say why this patient&#x27;s schedule differs from the program&#x27;s." in response.text
    # What was typed is kept.
    assert 'name="cadence-every_days" value="3"' in response.text
    assert not PatientSchedule.objects.exists()


def test_a_patients_cadence_is_changed_with_its_reason(client, clinician, patient_record):
    client.force_login(clinician)
    url = reverse("clinic:change_measure_cadence", kwargs={"mrn": patient_record.mrn})
    response = client.post(url, {"cadence-instrument": "PHQ-9", "cadence-every_days": "3",
                                 "cadence-reason": "Safety plan review after item 9"})
    assert response.status_code == 302
    row = PatientSchedule.objects.get()
    assert (row.instrument_code, row.every_days, row.reason, row.set_by) == (
        "PHQ-9", 3, "Safety plan review after item 9", clinician)
    html = client.get(measures_url(patient_record)).text
    assert "For this patient: every 3 days" in html


def test_an_out_of_range_cadence_names_the_field(client, clinician, patient_record):
    client.force_login(clinician)
    url = reverse("clinic:change_measure_cadence", kwargs={"mrn": patient_record.mrn})
    response = client.post(url, {"cadence-instrument": "PHQ-9", "cadence-every_days": "400", "cadence-reason": "x"})
    assert response.status_code == 400
    assert "Ask every (days): Enter a number of days from 1 to 365" in response.text


def test_the_chart_loads_the_latest_score_per_instrument(client, clinician, scored_record):
    client.force_login(clinician)
    patient = scored_record["patient"]
    chart = client.get(reverse("clinic:patient_chart", kwargs={"mrn": patient.mrn})).text
    summary_url = reverse("clinic:patient_measures_summary", kwargs={"mrn": patient.mrn})
    assert f'hx-get="{summary_url}"' in chart
    assert measures_url(patient) in chart  # the link that works without JavaScript
    fragment = client.get(summary_url, headers={"HX-Request": "true"}).text
    assert "<strong>12</strong> (Moderate) on 2026-10-22 · Reliable improvement" in fragment
    assert client.get(summary_url).status_code == 302


# One administration ------------------------------------------------------------------------------


def test_the_detail_page_shows_every_answer_and_how_it_was_entered(client, clinician, scored_record):
    client.force_login(clinician)
    html = client.get(detail_url(scored_record["baseline"])).text
    assert "Little interest or pleasure in doing things" in html
    assert "Nearly every day" in html
    assert f"Entered from paper by {clinician.display_name}" in html
    assert "<strong>20</strong> of 27" in html


def test_an_imported_answer_shows_both_totals(client, clinician, patient_record):
    administration = measures.record_answers(
        actor=clinician, patient=patient_record, instrument_code="PHQ-9", answers=phq9(9), mode=Mode.IMPORTED,
        answered_on=ADMITTED_ON, source_system="Riverside EHR", source_identifier="qr-17", source_reported_total=10,
    )
    client.force_login(clinician)
    html = client.get(detail_url(administration)).text
    assert "Imported from Riverside EHR (sender&#x27;s total 10, ours 9)" in html
    assert "totals differ" in html


def test_entered_in_error_needs_a_reason(client, clinician, scored_record):
    client.force_login(clinician)
    administration = scored_record["later"]
    response = client.post(detail_url(administration), {"reason": ""})
    assert response.status_code == 400
    assert "Why is this entry wrong?: Say why this entry is wrong." in response.text
    administration.refresh_from_db()
    assert administration.status == Status.COMPLETED


def test_entered_in_error_keeps_the_row_struck_through(client, clinician, scored_record):
    client.force_login(clinician)
    administration = scored_record["later"]
    response = client.post(detail_url(administration), {"reason": "Entered on the wrong patient"})
    assert response.status_code == 302
    administration.refresh_from_db()
    assert administration.status == Status.ENTERED_IN_ERROR
    assert administration.error_reason == "Entered on the wrong patient"
    detail = client.get(detail_url(administration)).text
    assert "<del>PHQ-9</del>" in detail
    assert "Entered on the wrong patient" in detail
    assert "Mark as entered in error</button>" not in detail
    page = client.get(measures_url(scored_record["patient"])).text
    assert "<del>PHQ-9 2026-10-22: 12</del>" in page
    table = page[page.index('class="responsive trend-table"'):].split("</table>")[0]
    assert "2026-10-22" not in table


def test_another_patients_administration_is_not_found_under_this_mrn(client, clinician, clinic, scored_record):
    other = make_patient(organization=clinic["organization"], program=clinic["sud"], legal_last_name="Other")
    admit(patient=other, program=clinic["sud"], clinician=clinician)
    client.force_login(clinician)
    url = reverse("clinic:measure_detail", kwargs={"mrn": other.mrn,
                                                    "administration_id": scored_record["baseline"].pk})
    assert client.get(url).status_code == 404


# Printing ----------------------------------------------------------------------------------------


def test_the_print_page_names_the_patient_and_carries_the_part2_notice(client, clinician, scored_record):
    client.force_login(clinician)
    patient = scored_record["patient"]
    response = client.get(reverse("clinic:measure_print", kwargs={"mrn": patient.mrn, "code": "phq-9"}))
    html = response.text
    assert response.status_code == 200
    assert patient.legal_name in html and patient.mrn in html
    assert "42 CFR part 2 prohibits unauthorized use or disclosure" in html
    assert 'class="trend-chart"' in html and "trend-table" in html
    assert AuditEvent.objects.filter(user=clinician, action=Action.EXPORT, patient=patient).exists()


def test_printing_an_instrument_the_patient_never_had_is_not_found(client, clinician, patient_record):
    client.force_login(clinician)
    assert client.get(reverse("clinic:measure_print", kwargs={"mrn": patient_record.mrn, "code": "PCL-5"})).status_code == 404


# The due list ------------------------------------------------------------------------------------


def test_the_due_list_shows_how_overdue_each_measure_is(client, clinician, patient_record):
    client.force_login(clinician)
    html = client.get(reverse("clinic:measures_due")).text
    overdue = (dt.date.today() - ADMITTED_ON).days
    assert "Quinlan, Ave" in html
    assert f"{overdue} days overdue" in html
    assert html.count(measures_url(patient_record)) == 4  # PHQ-9, GAD-7, AUDIT-C, craving


def test_the_due_list_audits_each_patient_listed_once(client, clinician, patient_record):
    client.force_login(clinician)
    client.get(reverse("clinic:measures_due"))
    events = AuditEvent.objects.filter(user=clinician, action=Action.LIST, detail__list="measures due")
    assert [event.patient_id for event in events] == [patient_record.pk]


def test_the_due_list_leaves_out_patients_of_other_care_teams(client, outsider, patient_record):
    client.force_login(outsider)
    html = client.get(reverse("clinic:measures_due")).text
    assert "Quinlan" not in html
    assert "Nothing is due." in html


def test_the_director_sees_everyone_due_in_the_programs(client, director, patient_record):
    client.force_login(director)
    assert "Quinlan, Ave" in client.get(reverse("clinic:measures_due")).text


def test_the_home_page_counts_measures_due(client, clinician, patient_record):
    client.force_login(clinician)
    html = client.get(reverse("clinic:home")).text
    assert "<strong>4</strong> questionnaires due or overdue" in html


@pytest.mark.parametrize("count", [1, 12])
def test_the_due_list_uses_the_same_queries_for_1_and_12_patients(
    client, clinic, clinician, count, django_assert_num_queries
):
    for number in range(count):
        patient = make_patient(organization=clinic["organization"], program=clinic["sud"],
                               legal_first_name=f"Sam{number}", legal_last_name="Testperson")
        admit(patient=patient, program=clinic["sud"], clinician=clinician)
    client.force_login(clinician)
    client.get(reverse("clinic:measures_due"))
    # Session, user, the page's count and rows, one bulk audit insert.
    with django_assert_num_queries(5):
        assert client.get(reverse("clinic:measures_due")).status_code == 200


@pytest.mark.parametrize("count", [1, 10])
def test_the_patient_page_uses_the_same_queries_for_1_and_10_scores(
    client, clinician, patient_record, count, django_assert_num_queries
):
    for week in range(count):
        enter_phq9(patient_record, clinician, 20 - week, ADMITTED_ON + dt.timedelta(days=5 * week))
    client.force_login(clinician)
    client.get(measures_url(patient_record))
    # Session, user, patient; trends (completed, open, episodes, imported instruments); the
    # library again for the forms; current episode, program schedule (rows, exists), this
    # patient's cadence, withdrawn entries; one audit insert.
    with django_assert_num_queries(14):
        assert client.get(measures_url(patient_record)).status_code == 200


# Program schedules -------------------------------------------------------------------------------


def schedule_url(program):
    return reverse("clinic:program_schedule", kwargs={"code": program.code})


def schedule_post(**overrides):
    """The form as the page shows the defaults of a substance-use program."""
    data = {}
    for code, every in (("phq9", "7"), ("gad7", "7"), ("auditc", ""), ("craving", "7")):
        data |= {f"s-{code}-active": "on", f"s-{code}-at_admission": "on", f"s-{code}-every_days": every,
                 f"s-{code}-at_discharge": "on", f"s-{code}-follow_up_days": "30, 90",
                 f"s-{code}-review_after_weeks": "4"}
    for code in ("phq2", "gad2", "pcl5"):
        data |= {f"s-{code}-review_after_weeks": "4"}
    return data | overrides


def test_the_director_sees_the_default_schedule_of_an_unconfigured_program(client, director, clinic):
    client.force_login(director)
    html = client.get(schedule_url(clinic["sud"])).text
    assert "uses OpenIOP's defaults" in html
    assert 'name="s-phq9-every_days" value="7"' in html
    assert 'name="s-phq9-follow_up_days" value="30, 90"' in html


def test_saving_the_schedule_creates_the_programs_rows(client, director, clinic):
    client.force_login(director)
    response = client.post(schedule_url(clinic["sud"]), schedule_post(**{
        "s-phq9-every_days": "14", "s-phq9-follow_up_days": "30, 90, 180",
        "s-pcl5-active": "on", "s-pcl5-at_admission": "on",
    }))
    assert response.status_code == 302
    rows = {row.instrument_code: row for row in MeasureSchedule.objects.filter(program=clinic["sud"])}
    assert set(rows) == {"PHQ-9", "GAD-7", "AUDIT-C", "Craving", "PCL-5"}
    assert rows["PHQ-9"].every_days == 14 and rows["PHQ-9"].follow_up_days == [30, 90, 180]
    assert rows["AUDIT-C"].every_days is None
    assert rows["PCL-5"].at_admission and not rows["PCL-5"].at_discharge


def test_a_bad_follow_up_day_names_the_instrument_and_field_and_keeps_the_input(client, director, clinic):
    client.force_login(director)
    response = client.post(schedule_url(clinic["sud"]), schedule_post(**{"s-gad7-follow_up_days": "30, ninety"}))
    assert response.status_code == 400
    assert "GAD-7, Follow-up (days after discharge): “ninety” is not a number of days" in response.text
    assert 'value="30, ninety"' in response.text
    assert not MeasureSchedule.objects.exists()


@pytest.mark.parametrize("persona_name", ["clinician", "front_desk", "biller", "privacy_officer"])
def test_only_the_director_and_administrator_change_program_schedules(client, persona, persona_name, clinic):
    client.force_login(persona(persona_name))
    assert client.get(schedule_url(clinic["sud"])).status_code == 404
    assert client.get(reverse("clinic:measure_schedule_programs")).status_code == 404


def test_the_administrator_may_change_program_schedules(client, admin_user, clinic):
    client.force_login(admin_user)
    assert client.get(reverse("clinic:measure_schedule_programs")).status_code == 200
    assert client.get(schedule_url(clinic["mh"])).status_code == 200
