"""The demo clinic's plans: every state a clinic sees, written through the plan services.

These checks are mixed into DemoClinicTests (tests/demo/test_demo_clinic.py), so the clinic is
built once for all the demo's checks; each test runs in a savepoint.
"""

from collections import Counter

from django.utils import timezone

from openiop.accounts.models import User
from openiop.care.models import EpisodeOfCare
from openiop.plans import queries
from openiop.plans.models import (
    Plan,
    PlanKind,
    PlanVersion,
    ProposalStatus,
    Review,
    RPItem,
    RPItemKind,
    Service,
    SignatureMethod,
    SignerRole,
    TriggerCategory,
    VersionStatus,
)


def current_episodes():
    return EpisodeOfCare.objects.filter(status__in=queries.CURRENT_STATUSES)


def group_blocks(version) -> int:
    return sum(line.sessions for line in version.service_lines.filter(service=Service.GROUP))


class DemoPlansChecks:
    @property
    def states(self):
        return queries.plan_states(today=timezone.localdate())

    def test_every_current_patient_has_a_treatment_plan_with_a_version(self):
        episodes = current_episodes()
        with_plan = Plan.objects.filter(kind=PlanKind.TREATMENT, episode__in=episodes, versions__isnull=False)
        assert with_plan.values("episode").distinct().count() == episodes.count() >= 60

    def test_plans_are_in_draft_late_signed_awaiting_and_reviewed_states(self):
        labels = Counter(state.label for state in self.states)
        assert labels["Not signed yet"] >= 1
        assert 1 <= labels["Overdue: not signed"] <= 3
        assert 1 <= labels["Review overdue"] <= 3
        assert labels["Signed"] >= 30
        assert any(label.startswith("Review due: Level of care changed") for label in labels)
        awaiting = Counter(who for state in self.states for who in state.awaiting)
        assert awaiting["patient"] >= 2
        assert awaiting["supervisor"] == 1
        signed_by_patient = [s for s in self.states if s.signed and "patient" not in s.awaiting]
        assert len(signed_by_patient) >= 30
        today = timezone.localdate()
        due_soon = [s for s in self.states if s.signed and s.due_on and 0 <= (s.due_on - today).days <= 7]
        assert len(due_soon) >= 2

    def test_the_plan_awaiting_cosignature_was_signed_by_an_associate_with_a_supervisor(self):
        state = next(s for s in self.states if "supervisor" in s.awaiting)
        version = queries.current_version(state.plan)
        assert version.signed_by.requires_cosignature
        assert version.signed_by.supervisor.role == "director"

    def test_two_reviews_stepped_the_group_blocks_down_with_a_reason(self):
        step_downs = [review for review in Review.objects.filter(revision__isnull=False).select_related("revision")
                      if group_blocks(review.revision) < group_blocks(review.version)]
        assert len(step_downs) >= 2
        for review in step_downs:
            assert review.revision.status == VersionStatus.SIGNED
            assert "stepping down" in review.revision.change_reason
            assert review.revision.weekly_hours < review.version.weekly_hours

    def test_the_patient_login_has_a_plan_to_sign_a_signed_rp_plan_and_an_open_proposal(self):
        # Found through the login, not the MRN: MRNs follow database sequences, which differ
        # between SQLite and PostgreSQL test databases.
        patient_id = User.objects.get(username="patient").patient_id
        treatment = Plan.objects.get(patient_id=patient_id, kind=PlanKind.TREATMENT)
        current = queries.current_version(treatment)
        roles = set(current.signatures.values_list("role", flat=True))
        assert roles == {SignerRole.CLINICIAN}
        relapse = Plan.objects.get(patient_id=patient_id, kind=PlanKind.RELAPSE_PREVENTION)
        rp_version = queries.current_version(relapse)
        assert rp_version.signatures.filter(role=SignerRole.PATIENT, method=SignatureMethod.PORTAL).exists()
        statuses = Counter(relapse.proposals.values_list("status", flat=True))
        assert statuses[ProposalStatus.OPEN] == 1
        assert statuses[ProposalStatus.ACCEPTED] == 1 and statuses[ProposalStatus.DISCUSSED] == 1

    def test_relapse_prevention_items_cover_every_trigger_category_and_link_to_modules_and_goals(self):
        signed = RPItem.objects.filter(version__status=VersionStatus.SIGNED)
        assert set(signed.filter(kind=RPItemKind.TRIGGER).values_list("category", flat=True)) == set(
            TriggerCategory.values)
        payday = signed.filter(text="Payday weekends").select_related("curriculum_module").first()
        assert payday is not None and payday.curriculum_module.title == "Money management"
        assert signed.filter(curriculum_module__isnull=False).count() > signed.count() / 2
        trigger = signed.filter(kind=RPItemKind.TRIGGER).exclude(goal_key="").first()
        treatment = Plan.objects.get(episode=trigger.version.plan.episode, kind=PlanKind.TREATMENT)
        assert PlanVersion.objects.filter(plan=treatment, goals__key=trigger.goal_key).exists()
        assert signed.filter(kind=RPItemKind.HIGH_RISK).exclude(plan_text="").exists()
        assert signed.filter(kind=RPItemKind.SUPPORT, patient_allows_sharing=True).exists()
        assert signed.filter(kind=RPItemKind.SUPPORT, patient_allows_sharing=False).exists()
        assert signed.filter(kind=RPItemKind.COPING, coping_strategy__isnull=False).exists()

    def test_goals_keep_the_patients_own_words_and_objectives_have_target_dates(self):
        version = queries.current_version(Plan.objects.filter(kind=PlanKind.TREATMENT, versions__status="signed")
                                          .first())
        assert all(goal.patient_words for goal in version.goals.all())
        assert all(objective.target_date for objective in version.objectives.all())
        assert version.interventions.exists()
