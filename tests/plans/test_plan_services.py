"""Treatment and relapse-prevention plans: drafts, signing, immutability, versions, reviews."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from openiop.care import services as care_services
from openiop.plans import queries, services
from openiop.plans.models import (
    Goal,
    Objective,
    Plan,
    PlanKind,
    PlanVersion,
    Problem,
    ProposalStatus,
    RPItemKind,
    Service,
    ServiceLine,
    SignedVersionError,
    SignerRole,
    VersionStatus,
)
from openiop.worklist.models import Task

ADMITTED = dt.date(2026, 10, 1)


def treatment_plan(patient):
    return Plan.objects.get(patient=patient, kind=PlanKind.TREATMENT)


def first_draft(patient, clinician, kind=PlanKind.TREATMENT):
    return services.start_revision(actor=clinician, plan=Plan.objects.get(patient=patient, kind=kind))


def write_plan(version, clinician):
    """A complete, signable treatment draft."""
    problem = version.problems.first()
    goal = services.save_item(actor=clinician, version=version, part="goal", problem=problem,
                              clinical_text="Sustained abstinence from alcohol",
                              patient_words="I want to stop drinking so I can keep my job")
    services.save_item(actor=clinician, version=version, part="objective", goal=goal,
                       text="Attend 90% of scheduled groups for 4 weeks", target_date=dt.date(2026, 11, 1))
    services.save_item(actor=clinician, version=version, part="intervention", goal=goal, modality="cbt",
                       frequency="3 groups a week", responsible=clinician)
    return goal


def signed_plan(patient, clinician):
    plan = treatment_plan(patient)
    draft = first_draft(patient, clinician)
    write_plan(draft, clinician)
    services.sign_version(actor=clinician, version=draft)
    return plan, PlanVersion.objects.get(pk=draft.pk)


def test_admission_opens_both_plans_due_within_the_programs_days(patient_record, clinician):
    plans = Plan.objects.filter(patient=patient_record)
    assert {p.kind for p in plans} == {PlanKind.TREATMENT, PlanKind.RELAPSE_PREVENTION}
    plan = treatment_plan(patient_record)
    assert plan.due_on == ADMITTED + dt.timedelta(days=7)
    draft = first_draft(patient_record, clinician)
    # Prefilled from the admission: the diagnosis is a problem, the default service mix is there.
    assert draft.problems.get().diagnosis.icd10_code == "F10.20"
    assert float(services.weekly_hours(draft)) == pytest.approx(10.6, abs=0.05)
    rp_draft = first_draft(patient_record, clinician, PlanKind.RELAPSE_PREVENTION)
    assert rp_draft.rp_items.filter(kind=RPItemKind.CRISIS_CONTACT, phone="988").exists()


def test_an_objective_needs_a_target_date(patient_record, clinician):
    draft = first_draft(patient_record, clinician)
    goal = services.save_item(actor=clinician, version=draft, part="goal", clinical_text="Goal")
    with pytest.raises(ValidationError) as error:
        services.save_item(actor=clinician, version=draft, part="objective", goal=goal, text="Something",
                           target_date=None)
    assert "target_date" in error.value.message_dict


def test_signing_names_what_is_missing(patient_record, clinician):
    draft = first_draft(patient_record, clinician)
    with pytest.raises(ValidationError) as error:
        services.sign_version(actor=clinician, version=draft)
    assert {"goals", "interventions"} <= set(error.value.message_dict)


def test_hours_outside_the_band_need_a_reason(patient_record, clinician):
    draft = first_draft(patient_record, clinician)
    write_plan(draft, clinician)
    group = draft.service_lines.get(service=Service.GROUP)
    services.save_item(actor=clinician, version=draft, part="service_line", item=group, sessions=1)
    with pytest.raises(ValidationError) as error:
        services.sign_version(actor=clinician, version=draft)
    assert "hours_override_reason" in error.value.message_dict
    services.update_draft(actor=clinician, version=draft, hours_override_reason="Works two jobs; stepping up in 2 weeks")
    services.sign_version(actor=clinician, version=draft)


def test_a_signed_version_cannot_be_changed_by_any_path(patient_record, clinician):
    _, version = signed_plan(patient_record, clinician)
    goal = version.goals.get()
    with pytest.raises(SignedVersionError):
        services.save_item(actor=clinician, version=version, part="goal", item=goal, clinical_text="Changed")
    with pytest.raises(SignedVersionError):
        services.update_draft(actor=clinician, version=version, change_reason="x")
    goal.clinical_text = "Changed directly"
    with pytest.raises(SignedVersionError):
        goal.save()
    with pytest.raises(SignedVersionError):
        goal.delete()
    version.change_reason = "edited"
    with pytest.raises(SignedVersionError):
        version.save()
    with pytest.raises(SignedVersionError):
        version.delete()
    assert Goal.objects.get(pk=goal.pk).clinical_text == "Sustained abstinence from alcohol"
    assert version.weekly_hours is not None


def test_a_revision_copies_the_plan_and_shows_what_changed(patient_record, clinician):
    plan, first = signed_plan(patient_record, clinician)
    with pytest.raises(ValidationError):
        services.start_revision(actor=clinician, plan=plan, reason="")
    second = services.start_revision(actor=clinician, plan=plan, reason="Stepping down")
    assert second.number == 2 and second.based_on == first and second.goals.count() == 1
    group = second.service_lines.get(service=Service.GROUP)
    services.save_item(actor=clinician, version=second, part="service_line", item=group, sessions=2)
    services.update_draft(actor=clinician, version=second, hours_override_reason="Stepping down toward outpatient care")
    services.sign_version(actor=clinician, version=second)
    second.refresh_from_db()
    changes = queries.differences(first, second)
    assert any(d.section == "Weekly services" and d.change == "changed" and "3 ×" in d.before and "2 ×" in d.after
               for d in changes)
    assert not any(d.section == "Goals" for d in changes)
    # The old version is unchanged and still readable.
    assert first.service_lines.get(service=Service.GROUP).sessions == 3
    assert queries.current_version(plan) == second


def test_the_patient_signs_in_the_portal_and_only_their_own(patient_record, patient_user, other_patient_user,
                                                            clinician):
    _, version = signed_plan(patient_record, clinician)
    with pytest.raises(ValidationError):
        services.sign_as_patient(actor=other_patient_user, version=version, typed_name="Blake", method="portal")
    with pytest.raises(ValidationError) as error:
        services.sign_as_patient(actor=patient_user, version=version, typed_name=" ", method="portal")
    assert "typed_name" in error.value.message_dict
    signature = services.sign_as_patient(actor=patient_user, version=version, typed_name="Avery Quinlan",
                                         method="portal")
    assert signature.role == SignerRole.PATIENT and "I took part in making this plan" in signature.attestation


def test_a_clinician_who_needs_supervision_waits_for_the_co_signature(patient_record, clinician, director):
    clinician.requires_cosignature = True
    clinician.supervisor = director
    clinician.save()
    plan, version = signed_plan(patient_record, clinician)
    assert "supervisor" in queries.state_of(plan).awaiting
    assert Task.objects.filter(assignee=director, topic=f"plans:cosign:{version.pk}", done_at__isnull=True).exists()
    services.cosign(actor=director, version=version)
    assert "supervisor" not in queries.state_of(plan).awaiting
    assert not Task.objects.filter(topic=f"plans:cosign:{version.pk}", done_at__isnull=True).exists()


def test_an_unsigned_plan_is_overdue_after_its_due_day_and_alerts_once(patient_record, clinician):
    plan = treatment_plan(patient_record)
    assert not queries.state_of(plan, today=ADMITTED + dt.timedelta(days=7)).overdue
    assert queries.state_of(plan, today=ADMITTED + dt.timedelta(days=8)).overdue
    assert services.check_overdue(today=ADMITTED + dt.timedelta(days=8)) == 1
    assert services.check_overdue(today=ADMITTED + dt.timedelta(days=9)) == 0
    assert Task.objects.get(topic=f"plans:plan-due:{plan.pk}").assignee == clinician


def test_a_review_is_due_every_30_days_after_signing(patient_record, clinician):
    with time_machine.travel(dt.datetime(2026, 10, 5, 12, tzinfo=dt.UTC)):
        plan, _ = signed_plan(patient_record, clinician)
    state = queries.state_of(plan, today=dt.date(2026, 11, 4))
    assert state.due_on == dt.date(2026, 11, 4) and not state.overdue
    assert queries.state_of(plan, today=dt.date(2026, 11, 5)).overdue


def test_a_level_of_care_change_makes_the_review_due_now(patient_record, clinician):
    plan, _ = signed_plan(patient_record, clinician)
    episode = patient_record.episodes.get()
    care_services.change_level_of_care(actor=clinician, episode=episode, to_level="php",
                                       changed_on=dt.date(2026, 11, 20), reason="Relapse, needs more structure")
    plan.refresh_from_db()
    assert plan.review_requested_on == dt.date(2026, 11, 20)
    # Due within a week of the change: the task is on the clinician's list at once.
    assert queries.state_of(plan, today=dt.date(2026, 11, 21)).due_on == dt.date(2026, 11, 27)
    assert queries.state_of(plan, today=dt.date(2026, 11, 28)).overdue
    assert Task.objects.filter(topic=f"plans:review-due:{plan.pk}", assignee=clinician).exists()


def test_a_review_records_progress_and_can_step_down_the_hours(patient_record, clinician):
    plan, version = signed_plan(patient_record, clinician)
    objective = version.objectives.get()
    with pytest.raises(ValidationError) as error:
        services.record_review(actor=clinician, plan=plan, reviewed_on=dt.date(2026, 11, 20), summary="ok",
                               progress={})
    assert "progress" in error.value.message_dict
    review = services.record_review(
        actor=clinician, plan=plan, reviewed_on=dt.date(2026, 11, 20), summary="Doing well; stepping down.",
        progress={objective.pk: ("met", "Attended every group")}, relapse_prevention_reviewed=True,
        revise=True, revision_reason="Step down to 2 group blocks")
    assert review.progress.get().status == "met"
    draft = review.revision
    group = draft.service_lines.get(service=Service.GROUP)
    services.save_item(actor=clinician, version=draft, part="service_line", item=group, sessions=2)
    services.update_draft(actor=clinician, version=draft, hours_override_reason="Stepping down toward outpatient care")
    services.sign_version(actor=clinician, version=draft)
    assert queries.service_mix(patient_record.episodes.get())[0].sessions == 2
    with pytest.raises(SignedVersionError):
        review.summary = "edited"
        review.save()


def test_a_patient_proposal_is_accepted_into_a_new_relapse_prevention_draft(patient_record, patient_user, clinician):
    rp = Plan.objects.get(patient=patient_record, kind=PlanKind.RELAPSE_PREVENTION)
    proposal = services.propose_change(actor=patient_user, plan=rp, kind=RPItemKind.TRIGGER,
                                       text="Payday weekends")
    assert Task.objects.filter(topic=f"plans:proposal:{rp.pk}", assignee=clinician, done_at__isnull=True).exists()
    item = services.accept_proposal(actor=clinician, proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED and item.version.status == VersionStatus.DRAFT
    assert not Task.objects.filter(topic=f"plans:proposal:{rp.pk}", done_at__isnull=True).exists()


def test_a_high_risk_situation_needs_its_own_plan(patient_record, clinician):
    rp = Plan.objects.get(patient=patient_record, kind=PlanKind.RELAPSE_PREVENTION)
    draft = services.start_revision(actor=clinician, plan=rp)
    with pytest.raises(ValidationError) as error:
        services.save_item(actor=clinician, version=draft, part="rp_item", text="Friday after work",
                           kind=RPItemKind.HIGH_RISK)
    assert "plan_text" in error.value.message_dict


def test_removing_a_problem_with_goals_is_refused(patient_record, clinician):
    draft = first_draft(patient_record, clinician)
    write_plan(draft, clinician)
    with pytest.raises(ValidationError):
        services.remove_item(actor=clinician, item=draft.problems.first())
    assert Problem.objects.filter(version=draft).exists() and Objective.objects.filter(version=draft).exists()
    assert ServiceLine.objects.filter(version=draft).count() == 4


def test_a_plan_signed_on_paper_earlier_is_dated_then_and_its_review_falls_due_from_then(patient_record, clinician):
    from django.utils import timezone

    plan = treatment_plan(patient_record)
    draft = first_draft(patient_record, clinician)
    write_plan(draft, clinician)
    with pytest.raises(ValidationError):
        services.sign_version(actor=clinician, version=draft, signed_at=timezone.now() + dt.timedelta(days=1))
    services.sign_version(actor=clinician, version=draft, signed_at=dt.datetime(2026, 10, 6, 15, tzinfo=dt.UTC))
    assert queries.state_of(plan, today=dt.date(2026, 11, 6)).overdue
    assert draft.signatures.get().signed_at == dt.datetime(2026, 10, 6, 15, tzinfo=dt.UTC)


def test_only_clinical_staff_hold_the_clinic_screen_for_a_patient_signature(patient_record, clinician, front_desk):
    _, version = signed_plan(patient_record, clinician)
    with pytest.raises(ValidationError):
        services.sign_as_patient(actor=front_desk, version=version, typed_name="Avery Quinlan", method="clinic_screen")
    services.sign_as_patient(actor=clinician, version=version, typed_name="Avery Quinlan", method="clinic_screen")


def test_the_treatment_plan_is_listed_before_the_relapse_prevention_plan(patient_record, clinician):
    kinds = [plan.kind for plan in queries.plans_for_patient(clinician, patient_record)]
    assert kinds == [PlanKind.TREATMENT, PlanKind.RELAPSE_PREVENTION]
