"""The demo clinic the loader builds: logins, census, labels and the audit trail.

The clinic is built once per class (setUpTestData) and each test runs in a savepoint, which
keeps this module fast while every test sees the whole clinic.
"""

import datetime as dt

import pytest
from django.test import TestCase
from django.utils import timezone

from openiop.accounts.enums import Role
from openiop.accounts.models import User
from openiop.audit.models import Action, AuditEvent
from openiop.care.models import CareTeamRole, Diagnosis, EpisodeOfCare, EpisodeStatus
from openiop.demo import data, loader
from openiop.patients.models import Coverage, Patient
from openiop.programs.models import Organization
from tests.demo.test_demo_measures import DemoMeasuresChecks
from tests.demo.test_demo_plans import DemoPlansChecks

EXPECTED_LOGINS = {
    "director": Role.DIRECTOR,
    "therapist": Role.CLINICIAN,
    "mhtherapist": Role.CLINICIAN,
    "prescriber": Role.PRESCRIBER,
    "intake": Role.INTAKE,
    "frontdesk": Role.FRONT_DESK,
    "billing": Role.BILLING,
    "privacy": Role.PRIVACY,
    "admin": Role.ADMIN,
    "patient": Role.PATIENT,
    "family": Role.FAMILY,
}
KNOWN_CODES = {
    code
    for pool in (
        data.SUBSTANCE_USE_DIAGNOSES, data.MENTAL_HEALTH_DIAGNOSES,
        data.SECONDARY_DIAGNOSES, data.ADOLESCENT_DIAGNOSES,
    )
    for code, _ in pool
}


def program_codes(username: str) -> set[str]:
    return set(User.objects.get(username=username).programs.values_list("code", flat=True))


def age_today(patient) -> int:
    return loader.age_on(patient.date_of_birth, timezone.localdate())


# One build of the demo clinic for every check of it (the clinic's own, measures', plans'): the
# xdist group keeps the class on one worker, so the clinic is built once per run, not per worker.
@pytest.mark.xdist_group("demo-clinic")
class DemoClinicTests(DemoMeasuresChecks, DemoPlansChecks, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.summary = loader.build_demo_clinic(with_passwords=True)

    def test_it_builds_the_demo_clinic_with_every_login(self):
        users = {user.username: user for user in User.objects.all()}
        for username, role in EXPECTED_LOGINS.items():
            assert users[username].role == role, username
            assert users[username].check_password(loader.DEMO_PASSWORD), username
        assert users["admin"].is_staff and users["admin"].is_superuser
        assert not users["director"].is_staff
        organization = Organization.objects.get()
        assert all(user.organization == organization for user in users.values())
        assert {login.username for login in loader.demo_logins()} >= set(EXPECTED_LOGINS)

    def test_it_gives_clinicians_and_prescribers_their_programs(self):
        assert program_codes("therapist") == {"sud-evening"}
        assert program_codes("mhtherapist") == {"mh-morning"}
        assert program_codes("prescriber") == {"sud-evening", "mh-morning", "cod-afternoon"}

    def test_it_summarizes_the_census_in_one_sentence(self):
        summary = self.summary
        admitted_referrals = sum(1 for spec in data.REFERRALS if spec.stage == "admitted")
        assert (summary.sites, summary.programs) == (2, 4)
        assert summary.current_patients == sum(loader.DEMO_CURRENT_PATIENTS.values()) + admitted_referrals
        assert summary.discharged_patients == sum(loader.DEMO_DISCHARGED_PATIENTS.values())
        assert summary.sentence().startswith("Demo clinic ready: 2 sites, 4 programs, 64 current")

    def test_it_does_not_build_the_clinic_twice(self):
        from openiop.intake.models import Referral

        patients, users, referrals = Patient.objects.count(), User.objects.count(), Referral.objects.count()
        again = loader.build_demo_clinic(with_passwords=True)
        assert again.already_built
        assert (Patient.objects.count(), User.objects.count()) == (patients, users)
        assert Referral.objects.count() == referrals == len(data.REFERRALS)
        assert Organization.objects.count() == 1

    def test_it_gives_the_patient_login_the_therapist_and_a_family_member_who_sees_them(self):
        patient = User.objects.get(username="patient").patient
        episode = patient.episodes.get(status=EpisodeStatus.ACTIVE)
        assert episode.program.code == "sud-evening"
        primary = episode.care_team.get(role=CareTeamRole.PRIMARY_CLINICIAN)
        assert primary.user.username == "therapist"
        family = User.objects.get(username="family")
        assert list(Patient.objects.visible_to(family)) == [patient]
        assert list(Patient.objects.visible_to(User.objects.get(username="patient"))) == [patient]

    def test_it_makes_the_family_login_the_patients_emergency_contact(self):
        patient = User.objects.get(username="patient").patient
        family = User.objects.get(username="family").family_link
        assert patient.emergency_contact_name == family.name
        assert patient.emergency_contact_phone == family.phone

    def test_it_labels_substance_use_records_part2_and_others_not(self):
        for patient in Patient.objects.select_related("program_of_origin"):
            assert patient.is_part2 == patient.program_of_origin.is_part2, patient.mrn
        for model in (EpisodeOfCare, Diagnosis, Coverage):
            for record in model.objects.select_related("program_of_origin"):
                assert record.is_part2 == record.program_of_origin.is_part2, record
        sud_patients = Patient.objects.filter(program_of_origin__code="sud-evening")
        assert sud_patients.exists()
        assert all(p.security_labels[:2] == ["R", "42CFRPart2"] for p in sud_patients)

    def test_it_keeps_substance_use_patients_out_of_the_mental_health_caseload(self):
        mh_therapist = User.objects.get(username="mhtherapist")
        visible = Patient.objects.visible_to(mh_therapist)
        assert visible.exists()
        assert not any(patient.is_part2 for patient in visible)
        therapist = User.objects.get(username="therapist")
        assert Patient.objects.visible_to(therapist).filter(
            program_of_origin__code="sud-evening"
        ).count() == Patient.objects.filter(program_of_origin__code="sud-evening").count()

    def test_it_gives_every_current_patient_diagnoses_coverage_and_a_care_team(self):
        current = EpisodeOfCare.objects.filter(status=EpisodeStatus.ACTIVE).select_related(
            "program", "patient"
        )
        today = timezone.localdate()
        for episode in current:
            assert episode.diagnoses.filter(is_primary=True).count() == 1
            assert set(episode.diagnoses.values_list("icd10_code", flat=True)) <= KNOWN_CODES
            roles = set(episode.care_team.values_list("role", flat=True))
            assert roles == {CareTeamRole.PRIMARY_CLINICIAN, CareTeamRole.PRESCRIBER}
            program = episode.program
            assert program.min_weekly_hours <= episode.planned_weekly_hours <= program.max_weekly_hours
            assert episode.expected_length_of_stay_days in loader.EXPECTED_STAYS_DAYS
            assert episode.level_of_care in ("iop", "op")
            assert episode.patient.coverages.exists()
            assert today - dt.timedelta(days=75) <= episode.admitted_on < today
            if episode.program.kind == "adolescent":
                assert 13 <= age_today(episode.patient) <= 17
            else:
                assert age_today(episode.patient) >= 18

    def test_it_discharges_the_past_patients_with_a_reason(self):
        finished = EpisodeOfCare.objects.filter(status=EpisodeStatus.FINISHED)
        assert finished.count() >= sum(loader.DEMO_DISCHARGED_PATIENTS.values())
        for episode in finished:
            assert episode.discharge_reason
            assert episode.admitted_on <= episode.discharged_on <= timezone.localdate()
            assert not episode.care_team.filter(end_date__isnull=True).exists()

    def test_it_writes_patient_records_through_the_services_and_audits_them(self):
        created = AuditEvent.objects.filter(action=Action.CREATE, object_type="patients.patient")
        assert created.count() == Patient.objects.count()
        assert all(event.path == "openiop demo" for event in created)
        # The loader registers patients as the command; a referral admitted through the
        # pipeline is registered by the clinician who admits them, as in the clinic.
        from_referrals = set(Patient.objects.filter(referrals__isnull=False).values_list("pk", flat=True))
        for event in created:
            if event.patient_id in from_referrals:
                assert event.user.role == Role.CLINICIAN, event.username
            else:
                assert event.username.startswith("cli:"), event.username

    def test_it_speaks_to_some_patients_in_spanish_with_an_interpreter(self):
        assert Patient.objects.filter(language="Spanish").exists()
        assert Patient.objects.filter(interpreter_needed=True).exists()
        assert Patient.objects.exclude(preferred_name="").exists()
        assert Patient.objects.exclude(pronouns="").exists()


def test_it_draws_medicare_ids_in_the_mbi_layout():
    from random import Random

    mbi = loader.synthetic_mbi(Random(1))
    assert len(mbi) == 11
    assert mbi[0] in "123456789" and mbi[3].isdigit() and mbi[9:].isdigit()
    assert not set(mbi) & set("SLOIBZ")


def test_it_moves_weekend_admissions_back_to_friday():
    saturday = dt.date(2026, 11, 21)
    assert loader.weekday_on_or_before(saturday) == dt.date(2026, 11, 20)
    assert loader.weekday_on_or_before(dt.date(2026, 11, 18)) == dt.date(2026, 11, 18)

    # The schedule (issue 6) -------------------------------------------------------------------

    def test_it_has_a_solved_week_now_and_past_weeks_that_break_no_rule(self):
        from openiop.demo.scheduling import PAST_WEEKS
        from openiop.scheduling.exports import check_week
        from openiop.scheduling.models import Session
        from openiop.scheduling.rules import week_bounds, week_of

        organization = Organization.objects.get(name=data.ORGANIZATION["name"])
        this_week = week_of(timezone.localdate())
        for back in range(-1, PAST_WEEKS + 1):
            week = this_week - dt.timedelta(weeks=back)
            begins, ends = week_bounds(week)
            sessions = Session.objects.filter(starts_at__gte=begins, starts_at__lt=ends)
            assert sessions.filter(kind="group").exists(), week
            assert sessions.exclude(kind="group").exists(), week
        assert check_week(organization, this_week) == []

    def test_most_current_patients_are_in_this_weeks_groups_and_in_series(self):
        from openiop.scheduling.models import Attendee, SeriesMembership
        from openiop.scheduling.rules import week_bounds, week_of

        begins, ends = week_bounds(week_of(timezone.localdate()))
        current = set(EpisodeOfCare.objects.filter(status=EpisodeStatus.ACTIVE).values_list("patient_id", flat=True))
        in_groups = set(Attendee.objects.filter(session__kind="group", session__starts_at__gte=begins,
                                                session__starts_at__lt=ends).values_list("patient_id", flat=True))
        assert len(in_groups & current) >= 0.8 * len(current)
        assert SeriesMembership.objects.filter(patient_id__in=current, left_on__isnull=True).count() >= len(current)

    def test_group_sessions_rotate_through_their_curriculum(self):
        from openiop.scheduling.models import GroupSeries

        series = GroupSeries.objects.filter(group_type__code="relapse-prevention").first()
        modules = list(series.sessions.order_by("starts_at").values_list("module__title", flat=True)[:5])
        assert len(set(modules)) == 5 and None not in modules

    def test_every_current_patient_has_free_times_recorded(self):
        from openiop.scheduling.models import PatientAvailability

        current = EpisodeOfCare.objects.filter(status=EpisodeStatus.ACTIVE).values_list("patient_id", flat=True)
        assert PatientAvailability.objects.filter(patient_id__in=current).count() == len(set(current))

    # Attendance and documentation (issue 7) ---------------------------------------------------

    def test_it_has_eight_weeks_of_attendance_with_some_absences_and_outreach(self):
        from openiop.attendance.models import Attendance
        from openiop.demo.scheduling import PAST_WEEKS
        from openiop.scheduling.rules import week_bounds, week_of
        from openiop.worklist.models import Task, TaskKind

        this_week = week_of(timezone.localdate())
        for back in range(1, PAST_WEEKS + 1):
            begins, ends = week_bounds(this_week - dt.timedelta(weeks=back))
            week = Attendance.objects.filter(session__starts_at__gte=begins, session__starts_at__lt=ends)
            assert week.attended().count() > 0, back
        statuses = set(Attendance.objects.values_list("status", flat=True))
        assert {"present", "late", "left_early", "absent_excused", "absent_unexcused"} <= statuses
        outreach = Task.objects.filter(kind=TaskKind.OUTREACH)
        assert outreach.filter(done_at__isnull=False).exclude(outcome="").exists()
        assert outreach.filter(done_at__isnull=True).exists()

    def test_it_has_signed_group_and_individual_notes_a_few_unsigned_and_some_to_cosign(self):
        from openiop.documentation.models import GroupNote, Note

        assert GroupNote.objects.filter(status="signed").count() > 50
        signed = Note.objects.filter(status="signed")
        assert signed.filter(kind="group").count() > 100
        assert signed.filter(kind="individual").exists() and signed.filter(kind="medication").exists()
        assert 0 < Note.objects.filter(status="draft").count() < signed.count() / 10
        assert Note.objects.filter(status="signed", cosign_required=True).exists()

    def test_each_group_note_member_is_someone_who_attended(self):
        from openiop.attendance.models import ATTENDED_STATUSES
        from openiop.documentation.models import Note

        group_notes = Note.objects.filter(kind="group").select_related("attendance")
        assert group_notes.exists()
        assert all(note.attendance.status in ATTENDED_STATUSES for note in group_notes)

    def test_it_has_medications_moud_and_drug_screens_with_an_unexpected_result(self):
        from openiop.medical.models import DrugScreen, DrugScreenResult, Medication

        assert Medication.objects.filter(moud="buprenorphine").exists()
        assert Medication.objects.filter(moud="methadone").exclude(otp_name="").exists()
        assert DrugScreen.objects.count() > 20
        assert DrugScreenResult.objects.filter(interpretation__startswith="unexpected").exists()
