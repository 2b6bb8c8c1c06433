"""Safeguards a review asked for: the patient signs only the current plan, signatures and
reviews are immutable too, content never leaves a signed version, the review clock and
override reasons are not reset by a revision, and proposals are answered once."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from openiop.plans import queries, services
from openiop.plans.models import (
    ObjectiveProgress,
    PlanKind,
    RPItem,
    RPItemKind,
    ServiceLine,
    Signature,
    SignedVersionError,
    SignerRole,
)
from openiop.worklist.models import Task
from tests.portal.test_plans_portal import plan_of, signed_rp, signed_treatment


def superseded(patient_record, clinician):
    v1 = signed_treatment(patient_record, clinician)
    v2 = services.start_revision(actor=clinician, plan=v1.plan, reason="Step down")
    if services.hours_problem(v2):
        services.update_draft(actor=clinician, version=v2, hours_override_reason="Stepping down")
    services.sign_version(actor=clinician, version=v2)
    return v1


def test_the_patient_cannot_sign_a_replaced_version_in_the_portal(login, patient_user, patient_record, clinician):
    v1 = superseded(patient_record, clinician)
    response = login(patient_user).post(reverse("portal:sign_plan", kwargs={"version_id": v1.pk}),
                                        {"typed_name": "Avery Quinlan"})
    assert response.status_code != 302
    assert not Signature.objects.filter(version=v1, role=SignerRole.PATIENT).exists()


def test_the_patient_cannot_sign_a_replaced_version_on_the_clinic_screen(login, patient_record, clinician):
    v1 = superseded(patient_record, clinician)
    login(clinician).post(reverse("clinic:plan_patient_signs", kwargs={"mrn": patient_record.mrn, "version_id": v1.pk}),
                          {"typed_name": "Avery Quinlan"})
    assert not Signature.objects.filter(version=v1, role=SignerRole.PATIENT).exists()


def test_signing_closes_the_plan_overdue_task(patient_record, clinician):
    plan = plan_of(patient_record, PlanKind.TREATMENT)
    assert services.check_overdue(today=plan.due_on + dt.timedelta(days=1)) == 1
    signed_treatment(patient_record, clinician)
    assert not Task.objects.filter(topic=f"plans:plan-due:{plan.pk}", done_at__isnull=True).exists()


def test_signing_a_revision_does_not_reset_the_review_clock(patient_record, clinician):
    v1 = signed_treatment(patient_record, clinician)
    first_due = queries.state_of(v1.plan).due_on
    with time_machine.travel(timezone.now() + dt.timedelta(days=25)):
        v2 = services.start_revision(actor=clinician, plan=v1.plan, reason="Small wording change")
        services.sign_version(actor=clinician, version=v2)
        assert queries.state_of(v1.plan).due_on == first_due


def test_signatures_and_review_progress_cannot_be_changed_or_deleted(patient_record, clinician):
    v1 = signed_treatment(patient_record, clinician)
    signature = Signature.objects.get(version=v1, role=SignerRole.CLINICIAN)
    signature.typed_name = "someone else"
    with pytest.raises(SignedVersionError):
        signature.save()
    with pytest.raises(SignedVersionError):
        signature.delete()
    review = services.record_review(actor=clinician, plan=v1.plan, reviewed_on=timezone.localdate(), summary="ok",
                                    progress={o.pk: ("progressing", "") for o in v1.objectives.all()})
    progress = ObjectiveProgress.objects.get(review=review)
    progress.status = "met"
    with pytest.raises(SignedVersionError):
        progress.save()
    with pytest.raises(SignedVersionError):
        progress.delete()
    assert ObjectiveProgress.objects.get(review=review).status == "progressing"


def test_content_cannot_be_moved_out_of_a_signed_version(patient_record, clinician):
    v1 = signed_treatment(patient_record, clinician)
    v2 = services.start_revision(actor=clinician, plan=v1.plan, reason="x")
    line = ServiceLine.objects.filter(version=v1).first()
    line.version = v2
    with pytest.raises(SignedVersionError):
        line.save()
    assert ServiceLine.objects.filter(pk=line.pk, version=v1).exists()


def test_a_revision_outside_the_band_needs_its_own_reason(patient_record, clinician):
    plan = plan_of(patient_record, PlanKind.TREATMENT)
    draft = services.start_revision(actor=clinician, plan=plan)
    goal = services.save_item(actor=clinician, version=draft, part="goal", problem=draft.problems.first(),
                              clinical_text="g")
    services.save_item(actor=clinician, version=draft, part="objective", goal=goal, text="o",
                       target_date=dt.date(2026, 12, 1))
    services.save_item(actor=clinician, version=draft, part="intervention", goal=goal, modality="cbt", frequency="x",
                       responsible=clinician)
    for line in list(draft.service_lines.all())[1:]:
        services.remove_item(actor=clinician, item=line)
    services.save_item(actor=clinician, version=draft, part="service_line", item=draft.service_lines.first(),
                       sessions=2, minutes=180, every_weeks=1)
    services.update_draft(actor=clinician, version=draft, hours_override_reason="Works two jobs; stepping up soon")
    services.sign_version(actor=clinician, version=draft)
    v2 = services.start_revision(actor=clinician, plan=plan, reason="More groups")
    services.save_item(actor=clinician, version=v2, part="service_line", item=v2.service_lines.first(), sessions=7)
    assert "hours_override_reason" in services.signing_problems(v2)


def test_a_proposal_is_accepted_only_once(patient_record, patient_user, clinician):
    from openiop.plans.models import Proposal

    signed_rp(patient_record, clinician)
    plan = plan_of(patient_record, PlanKind.RELAPSE_PREVENTION)
    proposal = services.propose_change(actor=patient_user, plan=plan, kind=RPItemKind.TRIGGER, text="Paydays")
    first, second = Proposal.objects.get(pk=proposal.pk), Proposal.objects.get(pk=proposal.pk)
    services.accept_proposal(actor=clinician, proposal=first)
    with pytest.raises(ValidationError):
        services.accept_proposal(actor=clinician, proposal=second)
    assert RPItem.objects.filter(version=queries.draft_of(plan), text="Paydays").count() == 1
