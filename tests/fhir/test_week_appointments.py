"""The clinic's week in FHIR: one Appointment per session listing every patient on its roster,
the patients themselves, labels, the §2.32 notice, the audit, and `schedule export --format fhir`."""

import datetime as dt
import io
import json
import stat

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openiop.audit.models import Action, AuditEvent
from openiop.fhir.appointments import SESSION_KIND_SYSTEM
from openiop.fhir.mappers import full_url, mrn_system
from openiop.fhir.week_appointments import week_bundle
from openiop.privacy.labels import PART2_SHORT_NOTICE
from openiop.scheduling.models import Attendee, Session, SessionKind
from openiop.scheduling.weeks import WeekError
from tests.factories.clinic import OrganizationFactory, ProgramFactory, SiteFactory
from tests.fhir.fhir_helpers import (
    PART2_ENTRY_LABELS,
    references_in,
    resources,
    security,
    validate_bundle,
)
from tests.scheduling.screens_clinic import (
    TODAY,
    WEDNESDAY,
    WEEK,
    at,
    build_setup,
    make_series,
    one_to_one,
    series_session,
)
from tests.scheduling.test_feeds import book

pytestmark = pytest.mark.django_db

THURSDAY = dt.date(2026, 12, 3)
NEXT_MONDAY = dt.date(2026, 12, 7)


@pytest.fixture
def setup(clinic, clinician, patient_record):
    return build_setup(clinic, clinician, patient_record)


@pytest.fixture
def week(setup, clinic, outsider, other_patient_user):
    """Avery (`patient_record`) and Dana in the Part 2 program; Blake (`other_patient_user`) in the
    mental-health program only."""
    blake = other_patient_user.patient
    return {
        "group": series_session(make_series(setup), WEDNESDAY, patients=[setup["patient"], setup["second"]]),
        "cancelled": one_to_one(setup, at(TODAY, 10), patient=setup["patient"], status="cancelled"),
        "mh": book(program=clinic["mh"], starts_at=at(THURSDAY, 10), kind=SessionKind.INDIVIDUAL, minutes=50,
                   patients=[blake], staff=[outsider], room=setup["office"]),
        "next_week": one_to_one(setup, at(NEXT_MONDAY, 10), patient=setup["patient"]),
    }


def appointment_of(bundle, session):
    (found,) = [a for a in resources(bundle, "Appointment") if dt.datetime.fromisoformat(a["start"]) == session.starts_at]
    return found


def patient_of(bundle, patient):
    (found,) = [p for p in resources(bundle, "Patient") if p["identifier"][0]["value"] == patient.mrn]
    return found


def mental_health_week(clinic, outsider, blake, room):
    return book(program=clinic["mh"], starts_at=at(THURSDAY, 10), kind=SessionKind.INDIVIDUAL, minutes=50,
                patients=[blake], staff=[outsider], room=room)


# --- shape -----------------------------------------------------------------------------------


def test_the_week_bundle_validates_and_its_references_resolve(week, setup):
    bundle = week_bundle(setup["organization"], WEEK)
    validate_bundle(bundle)
    assert bundle["type"] == "collection"
    full_urls = {entry["fullUrl"] for entry in bundle["entry"]}
    for entry in bundle["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
        assert set(references_in(entry["resource"])) <= full_urls


def test_every_session_of_the_week_is_an_appointment_and_nothing_else_is(week, setup):
    bundle = week_bundle(setup["organization"], WEEK)
    appointments = resources(bundle, "Appointment")
    assert [dt.datetime.fromisoformat(a["start"]) for a in appointments] == [
        s.starts_at for s in (week["cancelled"], week["group"], week["mh"])
    ]
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Appointment"] * 3 + ["Patient"] * 3


def test_another_organizations_sessions_are_left_out(week, setup):
    elsewhere = ProgramFactory(site=SiteFactory(organization=OrganizationFactory(name="Lakeside")), code="lake")
    book(program=elsewhere, starts_at=at(WEDNESDAY, 9), kind=SessionKind.INDIVIDUAL, minutes=50)
    assert len(resources(week_bundle(setup["organization"], WEEK), "Appointment")) == 3


def test_a_group_session_lists_every_patient_on_its_roster_the_staff_and_the_room(week, setup, clinician):
    group = appointment_of(week_bundle(setup["organization"], WEEK), week["group"])
    actors = [participant["actor"] for participant in group["participant"]]
    on_roster = sorted((setup["patient"], setup["second"]), key=lambda p: p.mrn)
    assert actors == [
        {"reference": full_url("Patient", on_roster[0]), "type": "Patient"},
        {"reference": full_url("Patient", on_roster[1]), "type": "Patient"},
        {"type": "Practitioner", "display": clinician.display_name},
        {"type": "Location", "display": "Group room A"},
    ]
    assert [p["required"] for p in group["participant"]] == ["required"] * 3 + ["information-only"]


def test_a_week_appointment_is_never_a_per_patient_appointment(week, setup):
    from openiop.fhir.export import appointments_section

    mine = {a["id"] for a in appointments_section(setup["patient"])}
    ours = {a["id"] for a in resources(week_bundle(setup["organization"], WEEK), "Appointment")}
    assert not mine & ours


def test_status_times_and_kind(week, setup):
    bundle = week_bundle(setup["organization"], WEEK)
    group, cancelled = appointment_of(bundle, week["group"]), appointment_of(bundle, week["cancelled"])
    assert (group["status"], cancelled["status"]) == ("booked", "cancelled")
    # Instants in UTC, as in the per-patient export: 18:00-21:00 in New York.
    assert group["start"] == "2026-12-02T23:00:00+00:00" and group["end"] == "2026-12-03T02:00:00+00:00"
    assert group["minutesDuration"] == 180 and cancelled["minutesDuration"] == 60
    assert group["serviceType"][0]["coding"][0] == {
        "system": SESSION_KIND_SYSTEM, "code": "group", "display": "Group therapy",
    }
    assert group["serviceType"][0]["text"] == "Group therapy: Process group"
    assert "supportingInformation" not in group


def test_a_video_session_with_nobody_named_yet_still_has_a_participant(setup):
    session = Session.objects.create(
        program=setup["sud"], kind=SessionKind.GROUP, group_type=setup["group_type"], starts_at=at(THURSDAY, 18),
        ends_at=at(THURSDAY, 21), telehealth=True, video_link="https://video.example.org/skills")
    bundle = week_bundle(setup["organization"], WEEK)
    validate_bundle(bundle)
    (appointment,) = resources(bundle, "Appointment")
    assert appointment["participant"] == [{
        "type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                              "code": "PPRF", "display": "primary performer"}]}],
        "required": "required", "status": "needs-action",
    }]
    assert appointment["description"] == "Video visit" and "video.example.org" not in str(bundle)
    # Nobody on it yet: the labels of its program.
    assert PART2_ENTRY_LABELS.items() <= security(appointment).items()
    assert session.pk and resources(bundle, "Patient") == []


def test_the_patients_are_minimal_and_keep_the_id_of_their_own_export(week, setup):
    from openiop.fhir.export import build_patient_bundle

    avery = patient_of(week_bundle(setup["organization"], WEEK), setup["patient"])
    assert set(avery) == {"resourceType", "id", "meta", "text", "identifier", "name"}
    assert avery["identifier"][0]["system"] == mrn_system()
    assert [name["text"] for name in avery["name"]] == ["Avery Quinlan", setup["patient"].display_name]
    own = resources(build_patient_bundle(setup["patient"]), "Patient")[0]
    assert own["id"] == avery["id"]


# --- labels and the notice -------------------------------------------------------------------


def test_an_appointment_carries_the_union_of_its_rosters_labels(setup, clinic, other_patient_user):
    """A Part 2 session with someone seated under the mental-health program: the most protective
    confidentiality wins and nothing is dropped."""
    session = series_session(make_series(setup), WEDNESDAY, patients=[setup["patient"]])
    blake = other_patient_user.patient
    row = Attendee(session=session, patient=blake, episode=blake.episodes.get())
    row.label_for_program(clinic["mh"])
    row.save()
    (appointment,) = resources(week_bundle(setup["organization"], WEEK), "Appointment")
    codes = security(appointment)
    assert PART2_ENTRY_LABELS.items() <= codes.items() and "BH" in codes and "N" not in codes


def test_a_week_with_part2_sessions_is_marked_restricted_with_the_notice(week, setup, other_patient_user):
    bundle = week_bundle(setup["organization"], WEEK)
    assert [c["code"] for c in bundle["meta"]["security"]] == ["R", "42CFRPart2"]
    assert bundle["meta"]["extension"][0]["valueAnnotation"]["text"] == PART2_SHORT_NOTICE
    for session in (week["group"], week["cancelled"]):
        appointment = appointment_of(bundle, session)
        assert PART2_ENTRY_LABELS.items() <= security(appointment).items()
        assert PART2_SHORT_NOTICE in appointment["text"]["div"]
        assert list(appointment)[:4] == ["resourceType", "id", "meta", "text"]
    assert "Process group, Wednesday 02 December 2026 18:00–21:00" in appointment_of(bundle, week["group"])["text"]["div"]
    for patient in (setup["patient"], setup["second"]):
        narrative = patient_of(bundle, patient)["text"]["div"]
        assert PART2_SHORT_NOTICE in narrative and f"MRN {patient.mrn}" in narrative


def test_the_notice_stays_off_what_has_nothing_of_part2(week, setup, other_patient_user):
    bundle = week_bundle(setup["organization"], WEEK)
    mh = appointment_of(bundle, week["mh"])
    assert security(mh).keys() == {"N", "BH"} and "text" not in mh and "extension" not in mh["meta"]
    blake = patient_of(bundle, other_patient_user.patient)
    assert "text" not in blake and "42CFRPart2" not in security(blake)


def test_a_mental_health_only_week_has_no_part2_marks(setup, clinic, outsider, other_patient_user):
    mental_health_week(clinic, outsider, other_patient_user.patient, setup["office"])
    bundle = week_bundle(setup["organization"], WEEK)
    validate_bundle(bundle)
    assert [c["code"] for c in bundle["meta"]["security"]] == ["N"]
    assert "extension" not in bundle["meta"] and PART2_SHORT_NOTICE not in json.dumps(bundle)


# --- audit and cost --------------------------------------------------------------------------


def test_each_patient_in_the_bundle_gets_one_export_event(week, setup, clinician, other_patient_user):
    week_bundle(setup["organization"], WEEK, by=clinician)
    events = AuditEvent.objects.filter(action=Action.EXPORT)
    expected = {setup["patient"].mrn, setup["second"].mrn, other_patient_user.patient.mrn}
    assert sorted(events.values_list("patient_mrn", flat=True)) == sorted(expected)
    assert {e.user_id for e in events} == {clinician.pk}
    assert {json.dumps(e.detail, sort_keys=True) for e in events} == {'{"format": "fhir", "week": "2026-11-30"}'}


def test_a_day_that_is_not_a_monday_is_refused_and_nothing_is_audited(week, setup):
    with pytest.raises(WeekError):
        week_bundle(setup["organization"], TODAY)
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


def test_the_bundle_takes_the_same_queries_for_one_session_or_many(setup, clinic, other_patient_user):
    series = make_series(setup)
    series_session(series, WEEK, patients=[setup["patient"]])

    def count():
        with CaptureQueriesContext(connection) as captured:
            bundle = week_bundle(setup["organization"], WEEK)
        return len(captured), len(resources(bundle, "Appointment"))

    one, _ = count()
    for day in (WEDNESDAY, THURSDAY, dt.date(2026, 12, 4)):
        series_session(series, day, patients=[setup["patient"], setup["second"]])
    assert count() == (one, 4)


# --- the command -----------------------------------------------------------------------------


def export(*args):
    from openiop.scheduling.management.commands import schedule_export

    stdout = io.StringIO()
    call_command(schedule_export.Command(), "--week", "2026-11-30", "--format", "fhir", *args,
                 stdout=stdout, stderr=io.StringIO())
    return stdout.getvalue()


def test_the_command_writes_the_bundle_to_a_private_file_and_audits_as_the_operator(week, tmp_path):
    out = tmp_path / "week.fhir.json"
    stdout = export("--out", str(out))
    assert stdout.strip() == (f"Wrote 3 appointments and 3 patients of the week of 2026-11-30 as FHIR (contains 42 CFR "
                              f"Part 2 records: redisclosure notice included) to {out}")
    bundle = json.loads(out.read_text(encoding="utf-8"))
    validate_bundle(bundle)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    events = AuditEvent.objects.filter(action=Action.EXPORT)
    assert events.count() == 3 and all(e.username.startswith("cli:") for e in events)


def test_the_command_writes_to_standard_output_without_out(week):
    bundle = json.loads(export())
    assert bundle["resourceType"] == "Bundle" and len(resources(bundle, "Appointment")) == 3
