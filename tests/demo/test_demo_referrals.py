"""The demo clinic's intake pipeline: referrals in every stage, written through the intake
services and dated over the past weeks."""

import datetime as dt

from django.test import TestCase
from django.utils import timezone

from openiop.care.models import EpisodeOfCare, EpisodeStatus, MedicareCertification
from openiop.demo import data, loader
from openiop.intake.enums import CloseReason, Source, Stage
from openiop.intake.models import LevelOfCareAssessment, Referral
from openiop.worklist.models import Task, TaskKind


class DemoReferralTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        loader.build_demo_clinic(with_passwords=False)
        cls.today = timezone.localdate()

    def test_it_has_referrals_in_every_stage_and_closed_with_every_reason(self):
        assert set(Referral.objects.values_list("stage", flat=True)) == set(Stage.values)
        closed = Referral.objects.filter(stage=Stage.CLOSED)
        assert set(closed.values_list("close_reason", flat=True)) == set(CloseReason.values)
        elsewhere = closed.get(close_reason=CloseReason.OTHER_LEVEL)
        assert "inpatient withdrawal management" in elsewhere.close_note
        assert all(referral.closed_at for referral in closed)

    def test_it_draws_referrals_from_every_source_with_referrers_for_ed_step_down_and_court(self):
        assert set(Referral.objects.values_list("source", flat=True)) == set(Source.values)
        for source in (Source.EMERGENCY_DEPARTMENT, Source.STEP_DOWN, Source.COURT):
            referrals = Referral.objects.filter(source=source)
            assert referrals.exists()
            assert all(r.referrer_name and r.referrer_organization for r in referrals), source
        public = Referral.objects.filter(from_public_request=True)
        assert public.count() == 2
        assert all(r.stage == Stage.INQUIRY and r.created_by is None for r in public)

    def test_contacted_referrals_have_notes_and_follow_ups_some_overdue(self):
        contacted = Referral.objects.filter(stage=Stage.CONTACTED)
        assert all(r.next_follow_up_on and r.first_contact_at for r in contacted)
        assert contacted.filter(next_follow_up_on__lt=self.today).count() == 2
        assert contacted.filter(next_follow_up_on__gte=self.today).exists()
        assert all(r.events.exclude(note="").count() >= 2 for r in contacted)

    def test_a_positive_safety_answer_left_an_urgent_alert_for_the_clinicians(self):
        alerts = Task.objects.filter(kind=TaskKind.SAFETY, urgent=True, done_at__isnull=True)
        assert alerts.exists()
        referral = alerts.first().referral
        assert referral.stage == Stage.SCREENING
        assert referral.screening.positive_safety_answers
        assert {task.assignee.username for task in alerts} >= {"director", "mhtherapist"}

    def test_assessments_are_signed_in_every_framework_and_one_referral_waits_for_a_start(self):
        frameworks = set(LevelOfCareAssessment.objects.values_list("framework", flat=True))
        assert frameworks == {"asam3", "asam4", "locus"}
        escalated = LevelOfCareAssessment.objects.exclude(escalations=[])
        assert escalated.get().referral.close_reason == CloseReason.OTHER_LEVEL
        (waiting,) = Referral.objects.filter(expected_start_on__isnull=False)
        assert waiting.stage == Stage.ASSESSED
        assert waiting.expected_start_on >= self.today and waiting.waitlisted_on <= self.today
        assert Referral.objects.filter(stage=Stage.ASSESSED).count() == 3

    def test_admitted_referrals_are_patients_with_an_episode_consents_and_level_history(self):
        admitted = Referral.objects.filter(stage=Stage.ADMITTED).select_related("patient")
        assert admitted.count() == 4
        for referral in admitted:
            episode = referral.episodes.get()
            assert episode.patient == referral.patient
            assert episode.status == EpisodeStatus.ACTIVE
            assert episode.planned_weekly_hours and episode.expected_length_of_stay_days
            assert {"treatment", "privacy_notice"} <= set(episode.consents.values_list("kind", flat=True))
            assert episode.diagnoses.filter(is_primary=True).count() == 1
            assert episode.level_changes.first().to_level == "iop"
            assert referral.patient.address_line and referral.patient.gender_identity
            assert referral.patient.is_part2 == episode.program.is_part2
        stepped = [r.episodes.get() for r in admitted if r.episodes.get().level_changes.count() > 1]
        (episode,) = stepped
        assert [c.to_level for c in episode.level_changes.all()] == ["iop", "op"]
        assert episode.level_of_care == "op"

    def test_the_medicare_admission_has_a_certification_whose_recertification_is_due_soon(self):
        certification = MedicareCertification.objects.get(episode__referral__isnull=False)
        assert certification.needs_at_least_nine_hours
        assert self.today < certification.recertification_due_on <= self.today + dt.timedelta(days=14)
        assert certification.physician_name == data.CERTIFYING_PHYSICIAN

    def test_every_current_medicare_patient_is_certified_and_not_overdue(self):
        for episode in EpisodeOfCare.objects.filter(
            status=EpisodeStatus.ACTIVE, patient__coverages__kind="medicare"
        ).distinct():
            latest = episode.certifications.order_by("-certified_on").first()
            assert latest is not None, episode
            assert latest.recertification_due_on > self.today, episode

    def test_referrals_are_dated_over_the_past_weeks_in_order(self):
        now = timezone.now()
        created = sorted(Referral.objects.values_list("created_at", flat=True))
        assert now - created[0] > dt.timedelta(days=42)
        assert now - created[-1] < dt.timedelta(days=1)
        for referral in Referral.objects.prefetch_related("events"):
            times = [event.at for event in referral.events.all()]
            assert times == sorted(times), referral.pk
            assert times[0] == referral.created_at
            assert referral.created_at <= referral.last_action_at <= now
            for stamp in (referral.first_contact_at, referral.assessed_at, referral.admitted_at,
                          referral.closed_at):
                assert stamp is None or referral.created_at <= stamp <= referral.last_action_at

    def test_an_admitted_referral_exports_as_a_valid_fhir_bundle_with_its_assessment(self):
        from openiop.fhir.export import build_patient_bundle
        from tests.fhir.fhir_helpers import resources, validate_bundle

        referral = Referral.objects.filter(stage=Stage.ADMITTED, program__code="cod-afternoon").get()
        bundle = build_patient_bundle(referral.patient)

        validate_bundle(bundle)
        kinds = {r["resourceType"] for r in resources(bundle)}
        assert {"EpisodeOfCare", "Observation", "Consent"} <= kinds
