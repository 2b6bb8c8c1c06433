"""The clinic's treatment-plan screens: the patient's plans, the draft editor, signing, the
signed read-only version, the patient's on-screen signature, co-signing and reviews."""

import datetime as dt

import pytest
from django.urls import reverse

from openiop.audit.models import Action, AuditEvent
from openiop.plans import services
from openiop.plans.models import (
    Goal,
    Objective,
    Plan,
    PlanKind,
    PlanVersion,
    Review,
    Service,
    ServiceLine,
    Signature,
    SignerRole,
    VersionStatus,
)
from tests.factories.clinic import UserFactory

pytestmark = pytest.mark.django_db

TARGET = "2026-12-15"


def treatment_plan(patient):
    return Plan.objects.get(patient=patient, kind=PlanKind.TREATMENT)


def signed_version(patient, clinician, *, group_sessions=3):
    """A treatment plan written and signed through the services (for pages about signed plans)."""
    plan = treatment_plan(patient)
    draft = services.start_revision(actor=clinician, plan=plan)
    goal = services.save_item(actor=clinician, version=draft, part="goal", problem=draft.problems.first(),
                              clinical_text="Sustained abstinence from alcohol",
                              patient_words="I want to keep my job")
    services.save_item(actor=clinician, version=draft, part="objective", goal=goal,
                       text="Attend 90% of scheduled groups for 4 weeks", target_date=dt.date(2026, 12, 15))
    services.save_item(actor=clinician, version=draft, part="intervention", goal=goal, modality="cbt",
                       frequency="3 groups a week", responsible=clinician)
    services.sign_version(actor=clinician, version=draft)
    return PlanVersion.objects.get(pk=draft.pk)


def plans_url(patient):
    return reverse("clinic:patient_plans", kwargs={"mrn": patient.mrn})


def version_url(version):
    return reverse("clinic:plan_version", kwargs={"mrn": version.patient.mrn, "version_id": version.pk})


def revise_url(plan):
    return reverse("clinic:plan_start_revision", kwargs={"mrn": plan.patient.mrn, "plan_id": plan.pk})


def review_url(plan):
    return reverse("clinic:plan_review", kwargs={"mrn": plan.patient.mrn, "plan_id": plan.pk})


def patient_signs_url(version):
    return reverse("clinic:plan_patient_signs", kwargs={"mrn": version.patient.mrn, "version_id": version.pk})


def cosign_url(version):
    return reverse("clinic:plan_cosign", kwargs={"mrn": version.patient.mrn, "version_id": version.pk})


def review_post(objectives, **overrides):
    data = {"review-reviewed_on": "2026-11-20", "review-reason": "scheduled",
            "review-summary": "Attending every group; cravings down."}
    for objective in objectives:
        data[f"objective-{objective.pk}-status"] = "met"
        data[f"objective-{objective.pk}-note"] = "Attended 12 of 12"
    return data | overrides


# Who sees what ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona_name", ["outsider", "front_desk", "biller", "intake"])
def test_outsider_front_desk_billing_and_intake_get_404_on_every_plan_page(
    client, persona, persona_name, patient_record, clinician
):
    version = signed_version(patient_record, clinician)
    plan = version.plan
    review = services.record_review(actor=clinician, plan=plan, reviewed_on=dt.date(2026, 11, 20), summary="Fine",
                                    progress={o.pk: ("met", "") for o in version.objectives.all()})
    client.force_login(persona(persona_name))
    mrn = patient_record.mrn
    urls = [
        plans_url(patient_record), reverse("clinic:plans_summary", kwargs={"mrn": mrn}), revise_url(plan),
        version_url(version), patient_signs_url(version), cosign_url(version), review_url(plan),
        reverse("clinic:plan_review_detail", kwargs={"mrn": mrn, "review_id": review.pk}),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"typed_name": "X", "plan-1-reason": "x", "action": "sign"}).status_code == 404, url
    assert plan.versions.count() == 1
    assert not Signature.objects.filter(version=version, role=SignerRole.PATIENT).exists()


def test_a_refused_plans_page_is_in_the_patients_access_report(client, outsider, patient_record):
    client.force_login(outsider)
    client.get(plans_url(patient_record))
    assert AuditEvent.objects.filter(patient=patient_record, user=outsider, action=Action.DENIED,
                                     detail__page="plans").exists()


# Writing and signing ------------------------------------------------------------------------------


def test_a_clinician_writes_and_signs_a_plan_through_the_screens(client, clinician, patient_record):
    client.force_login(clinician)
    plan = treatment_plan(patient_record)
    page = client.get(plans_url(patient_record))
    assert page.status_code == 200 and "Write the plan" in page.text

    response = client.post(revise_url(plan))
    draft = PlanVersion.objects.get(plan=plan)
    assert response.status_code == 302 and response["Location"] == version_url(draft)
    editor = client.get(version_url(draft))
    assert editor.status_code == 200
    assert "Alcohol dependence, uncomplicated (F10.20)" in editor.text  # prefilled problem
    assert "10.6 hours a week" in editor.text                           # default service mix

    problem = draft.problems.get()
    url = version_url(draft)
    assert client.post(url, {"action": "save", "part": "goal", "goal-new-problem": problem.pk,
                             "goal-new-clinical_text": "Sustained abstinence from alcohol",
                             "goal-new-patient_words": "I want to keep my job"}).status_code == 302
    goal = Goal.objects.get(version=draft)
    assert goal.problem == problem and goal.patient_words == "I want to keep my job"
    assert client.post(url, {"action": "save", "part": "objective", "objective-new-goal": goal.pk,
                             "objective-new-text": "Attend 90% of groups for 4 weeks",
                             "objective-new-target_date": TARGET}).status_code == 302
    assert client.post(url, {"action": "save", "part": "intervention", "intervention-new-goal": goal.pk,
                             "intervention-new-modality": "cbt", "intervention-new-frequency": "3 groups a week",
                             "intervention-new-responsible": clinician.pk}).status_code == 302
    # Edit in place: the goal's words change, the item stays the same row.
    assert client.post(url, {"action": "save", "part": "goal", "item": goal.pk, f"goal-{goal.pk}-problem": problem.pk,
                             f"goal-{goal.pk}-clinical_text": "Abstinence from alcohol",
                             f"goal-{goal.pk}-patient_words": "Keep my job"}).status_code == 302
    assert Goal.objects.get(pk=goal.pk).clinical_text == "Abstinence from alcohol"

    response = client.post(url, {"action": "sign"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == VersionStatus.SIGNED and draft.signed_by == clinician
    assert draft.signatures.get().role == SignerRole.CLINICIAN

    signed_page = client.get(url)
    assert signed_page.status_code == 200
    assert 'name="action"' not in signed_page.text and "Add goals" not in signed_page.text
    assert services.CLINICIAN_ATTESTATION.replace("'", "&#x27;") in signed_page.text
    # Posting an edit to the signed version changes nothing, and says so.
    refused = client.post(url, {"action": "save", "part": "goal", "item": goal.pk,
                                f"goal-{goal.pk}-clinical_text": "Sneaky change"})
    assert refused.status_code == 409
    assert "signed and cannot be changed" in refused.text
    assert Goal.objects.get(pk=goal.pk).clinical_text == "Abstinence from alcohol"
    assert client.post(url, {"action": "remove", "part": "goal", "item": goal.pk}).status_code == 409
    assert Goal.objects.filter(pk=goal.pk).exists()


def test_an_objective_without_a_target_date_is_refused_naming_the_target_date(client, clinician, patient_record):
    client.force_login(clinician)
    draft = services.start_revision(actor=clinician, plan=treatment_plan(patient_record))
    goal = services.save_item(actor=clinician, version=draft, part="goal", clinical_text="Abstinence")
    response = client.post(version_url(draft), {
        "action": "save", "part": "objective", "objective-new-goal": goal.pk,
        "objective-new-text": "Attend 90% of groups for four weeks", "objective-new-target_date": "",
    })
    assert response.status_code == 400
    assert "Target date: Enter the target date" in response.text
    assert 'href="#id_objective-new-target_date"' in response.text
    assert "Attend 90% of groups for four weeks</textarea>" in response.text  # nothing typed is lost
    assert not Objective.objects.filter(version=draft).exists()


def test_a_target_date_before_admission_is_refused_by_the_service_on_the_field(client, clinician, patient_record):
    client.force_login(clinician)
    draft = services.start_revision(actor=clinician, plan=treatment_plan(patient_record))
    goal = services.save_item(actor=clinician, version=draft, part="goal", clinical_text="Abstinence")
    response = client.post(version_url(draft), {
        "action": "save", "part": "objective", "objective-new-goal": goal.pk,
        "objective-new-text": "Something", "objective-new-target_date": "2026-01-01",
    })
    assert response.status_code == 400
    assert "The target date is before the admission." in response.text


def test_hours_outside_the_band_without_a_reason_refuse_signing_with_the_message(client, clinician, patient_record):
    client.force_login(clinician)
    version = signed_version(patient_record, clinician)
    draft = services.start_revision(actor=clinician, plan=version.plan, reason="Fewer groups for now")
    group = draft.service_lines.get(service=Service.GROUP)
    url = version_url(draft)
    assert client.post(url, {"action": "save", "part": "service_line", "item": group.pk,
                             f"service_line-{group.pk}-service": "group", f"service_line-{group.pk}-sessions": "1",
                             f"service_line-{group.pk}-minutes": "180",
                             f"service_line-{group.pk}-every_weeks": "1"}).status_code == 302
    editor = client.get(url)
    assert "4.6 hours a week" in editor.text and "outside the band" in editor.text

    refused = client.post(url, {"action": "sign"})
    assert refused.status_code == 400
    assert "The plan was not signed" in refused.text
    assert "outside Adult substance-use IOP&#x27;s 9–19 hours" in refused.text
    assert "Give the clinical reason" in refused.text
    assert PlanVersion.objects.get(pk=draft.pk).status == VersionStatus.DRAFT

    assert client.post(url, {"action": "details", "draft-change_reason": "Fewer groups for now",
                             "draft-hours_override_reason": "Works two jobs; stepping up in 2 weeks"}).status_code == 302
    assert client.post(url, {"action": "sign"}).status_code == 302
    assert PlanVersion.objects.get(pk=draft.pk).status == VersionStatus.SIGNED


def test_removing_an_item_removes_it_from_the_draft_only(client, clinician, patient_record):
    client.force_login(clinician)
    draft = services.start_revision(actor=clinician, plan=treatment_plan(patient_record))
    screen = draft.service_lines.get(service=Service.MEDICATION)
    response = client.post(version_url(draft), {"action": "remove", "part": "service_line", "item": screen.pk})
    assert response.status_code == 302
    assert not ServiceLine.objects.filter(pk=screen.pk).exists()


def test_a_goal_with_objectives_is_not_removed_and_the_page_says_why(client, clinician, patient_record):
    client.force_login(clinician)
    version = signed_version(patient_record, clinician)
    draft = services.start_revision(actor=clinician, plan=version.plan, reason="Update")
    goal = draft.goals.get()
    response = client.post(version_url(draft), {"action": "remove", "part": "goal", "item": goal.pk})
    assert response.status_code == 400
    assert "Remove this goal&#x27;s objectives and interventions first." in response.text
    assert Goal.objects.filter(pk=goal.pk).exists()


def test_an_item_of_another_version_cannot_be_edited_through_this_draft(client, clinician, patient_record):
    client.force_login(clinician)
    version = signed_version(patient_record, clinician)
    draft = services.start_revision(actor=clinician, plan=version.plan, reason="Update")
    old_goal = version.goals.get()
    response = client.post(version_url(draft), {"action": "save", "part": "goal", "item": old_goal.pk,
                                                 f"goal-{old_goal.pk}-clinical_text": "Changed"})
    assert response.status_code == 400
    assert Goal.objects.get(pk=old_goal.pk).clinical_text == "Sustained abstinence from alcohol"


def test_a_new_version_needs_a_reason(client, clinician, patient_record):
    client.force_login(clinician)
    version = signed_version(patient_record, clinician)
    plan = version.plan
    refused = client.post(revise_url(plan), {f"plan-{plan.pk}-reason": "  "})
    assert refused.status_code == 400
    assert "Say why the plan is changing." in refused.text
    assert plan.versions.count() == 1
    started = client.post(revise_url(plan), {f"plan-{plan.pk}-reason": "Adding family sessions"})
    draft = plan.versions.get(number=2)
    assert started["Location"] == version_url(draft) and draft.change_reason == "Adding family sessions"


# Signatures ---------------------------------------------------------------------------------------


def test_the_patient_signs_on_the_clinic_screen(client, clinician, patient_record):
    client.force_login(clinician)
    version = signed_version(patient_record, clinician)
    page = client.get(patient_signs_url(version))
    assert page.status_code == 200
    assert services.PATIENT_ATTESTATION.replace("'", "&#x27;") in page.text
    assert "I want to keep my job" in page.text      # the goal in the patient's words
    assert "988" in page.text
    refused = client.post(patient_signs_url(version), {"typed_name": " "})
    assert refused.status_code == 400 and "Type your name" in refused.text

    response = client.post(patient_signs_url(version), {"typed_name": "Avery Quinlan"})
    assert response.status_code == 302
    signature = Signature.objects.get(version=version, role=SignerRole.PATIENT)
    assert (signature.typed_name, signature.method, signature.signer) == ("Avery Quinlan", "clinic_screen", clinician)
    shown = client.get(version_url(version)).text
    assert "“Avery Quinlan”" in shown and "on screen in the clinic" in shown
    assert "Patient signs on this screen" not in shown


def test_only_the_supervisor_is_offered_the_co_signature(client, clinic, clinician, patient_record):
    supervisor = UserFactory(username="supervisor", role="clinician", organization=clinic["organization"])
    supervisor.programs.set([clinic["sud"]])
    clinician.requires_cosignature = True
    clinician.supervisor = supervisor
    clinician.save()
    version = signed_version(patient_record, clinician)
    client.force_login(clinician)
    assert "Co-sign as supervisor" not in client.get(version_url(version)).text
    assert client.post(cosign_url(version)).status_code == 400
    client.force_login(supervisor)
    assert "Co-sign as supervisor" in client.get(version_url(version)).text
    assert client.post(cosign_url(version)).status_code == 302
    assert Signature.objects.get(version=version, role=SignerRole.SUPERVISOR).signer == supervisor


# Reviews ------------------------------------------------------------------------------------------


def test_a_review_with_a_step_down_opens_a_new_draft_and_keeps_the_old_version(client, clinician, patient_record):
    client.force_login(clinician)
    first = signed_version(patient_record, clinician)
    plan = first.plan
    objectives = list(first.objectives.all())
    page = client.get(review_url(plan))
    assert page.status_code == 200 and "Attend 90% of scheduled groups" in page.text

    response = client.post(review_url(plan), review_post(objectives, **{
        "review-revise": "on", "review-revision_reason": "Stepping down to two group blocks",
        "review-relapse_prevention_reviewed": "on"}))
    review = Review.objects.get(plan=plan)
    draft = review.revision
    assert response.status_code == 302 and response["Location"] == version_url(draft)
    assert review.relapse_prevention_reviewed and review.progress.get().status == "met"

    group = draft.service_lines.get(service=Service.GROUP)
    url = version_url(draft)
    client.post(url, {"action": "save", "part": "service_line", "item": group.pk,
                      f"service_line-{group.pk}-service": "group", f"service_line-{group.pk}-sessions": "2",
                      f"service_line-{group.pk}-minutes": "180", f"service_line-{group.pk}-every_weeks": "1"})
    client.post(url, {"action": "details", "draft-change_reason": "Stepping down to two group blocks",
                      "draft-hours_override_reason": "Step-down toward outpatient care"})
    assert client.post(url, {"action": "sign"}).status_code == 302

    # The old version is unchanged and still readable; the new one shows what changed.
    assert first.service_lines.get(service=Service.GROUP).sessions == 3
    old_page = client.get(version_url(first))
    assert old_page.status_code == 200 and "3 × 180 min group therapy block" in old_page.text
    new_page = client.get(url)
    assert "Differences from version 1" in new_page.text
    assert "<del>3 × 180 min group therapy block every week</del>" in new_page.text
    assert "<ins>2 × 180 min group therapy block every week</ins>" in new_page.text
    assert f'href="{version_url(first)}"' in new_page.text

    detail = client.get(reverse("clinic:plan_review_detail", kwargs={"mrn": patient_record.mrn,
                                                                     "review_id": review.pk}))
    assert detail.status_code == 200
    assert "Attending every group" in detail.text and "version 2" in detail.text
    assert 'name="action"' not in detail.text


def test_a_review_without_a_status_for_an_objective_keeps_what_was_typed(client, clinician, patient_record):
    client.force_login(clinician)
    version = signed_version(patient_record, clinician)
    objective = version.objectives.get()
    response = client.post(review_url(version.plan), review_post([], **{
        "review-summary": "Doing well overall", f"objective-{objective.pk}-note": "Missed one week"}))
    assert response.status_code == 400
    assert "Choose met, progressing, not progressing or revised." in response.text
    assert "Doing well overall</textarea>" in response.text and "Missed one week</textarea>" in response.text
    assert not Review.objects.exists()


def test_a_review_needs_a_signed_plan(client, clinician, patient_record):
    client.force_login(clinician)
    response = client.get(review_url(treatment_plan(patient_record)))
    assert response.status_code == 302 and response["Location"] == plans_url(patient_record)


# The chart and the patient's plans page ----------------------------------------------------------


def test_the_chart_loads_the_plans_summary(client, clinician, patient_record):
    client.force_login(clinician)
    chart = client.get(reverse("clinic:patient_chart", kwargs={"mrn": patient_record.mrn}))
    assert reverse("clinic:plans_summary", kwargs={"mrn": patient_record.mrn}) in chart.text
    summary = client.get(reverse("clinic:plans_summary", kwargs={"mrn": patient_record.mrn}), HTTP_HX_REQUEST="true")
    assert "Treatment plan" in summary.text and "Overdue: not signed" in summary.text
    assert "2026-10-08" in summary.text


def test_the_plans_page_shows_state_versions_and_reviews_and_is_audited(client, clinician, patient_record):
    client.force_login(clinician)
    version = signed_version(patient_record, clinician)
    services.record_review(actor=clinician, plan=version.plan, reviewed_on=dt.date(2026, 11, 20), summary="Fine",
                           progress={o.pk: ("met", "") for o in version.objectives.all()})
    page = client.get(plans_url(patient_record))
    assert page.status_code == 200
    assert "waiting for patient signature" in page.text
    assert "Start a new version" in page.text and "Review the plan" in page.text
    assert "2026-11-20" in page.text and "Version 1" in page.text
    assert AuditEvent.objects.filter(patient=patient_record, user=clinician, action=Action.VIEW,
                                     detail__page="plans").exists()


# Query counts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("versions", [1, 4])
def test_the_plans_page_uses_the_same_queries_for_1_and_4_versions(
    client, clinician, patient_record, versions, django_assert_num_queries
):
    version = signed_version(patient_record, clinician)
    for number in range(versions - 1):
        draft = services.start_revision(actor=clinician, plan=version.plan, reason=f"Change {number}")
        services.sign_version(actor=clinician, version=draft)
        services.record_review(actor=clinician, plan=version.plan, reviewed_on=dt.date(2026, 11, 20),
                               summary="Fine", progress={o.pk: ("met", "") for o in draft.objectives.all()})
    client.force_login(clinician)
    client.get(plans_url(patient_record))
    # Session, user, patient; plans, versions, their signatures and signers, signing clinicians,
    # reviews; one audit insert.
    with django_assert_num_queries(10):
        assert client.get(plans_url(patient_record)).status_code == 200


def _grow(version, clinician, count):
    goal = version.goals.first()
    for number in range(count):
        services.save_item(actor=clinician, version=version, part="objective", goal=goal, text=f"Objective {number}",
                           target_date=dt.date(2026, 12, 15))
        services.save_item(actor=clinician, version=version, part="intervention", goal=goal, modality="mi",
                           frequency="weekly", responsible=clinician)


@pytest.mark.parametrize("items", [1, 6])
def test_the_signed_version_page_uses_the_same_queries_for_1_and_6_items(
    client, clinician, patient_record, items, django_assert_num_queries
):
    first = signed_version(patient_record, clinician)
    draft = services.start_revision(actor=clinician, plan=first.plan, reason="More objectives")
    _grow(draft, clinician, items)
    services.sign_version(actor=clinician, version=draft)
    client.force_login(clinician)
    client.get(version_url(draft))
    # Session, user, patient; the version and its 8 content prefetches; signatures; the
    # differences (the version before: 6 sections; this one: interventions and relapse-prevention
    # items again, the rest prefetched); the other versions; reviews; one audit insert.
    with django_assert_num_queries(24):
        assert client.get(version_url(draft)).status_code == 200


@pytest.mark.parametrize("items", [1, 6])
def test_the_draft_editor_uses_the_same_queries_for_1_and_6_items(
    client, clinician, patient_record, items, django_assert_num_queries
):
    first = signed_version(patient_record, clinician)
    draft = services.start_revision(actor=clinician, plan=first.plan, reason="More objectives")
    _grow(draft, clinician, items)
    client.force_login(clinician)
    client.get(version_url(draft))
    # Session, user, patient; the version and its 8 content prefetches; staff and diagnoses for
    # the forms; the other versions; one audit insert.
    with django_assert_num_queries(16):
        assert client.get(version_url(draft)).status_code == 200
