"""Every URL that shows patient data, for every persona.

The test walks the URL configuration, so a new patient-data URL is covered the moment it is
added: a URL with a patient in it (an `mrn` or `pk` parameter) must be marked with
`shows_patient_data`, and every marked view is checked against every persona. Allowed
personas get the page (or a redirect within their area); everyone else gets 404, and an
anonymous visitor gets the login page.
"""

import datetime as dt
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import PERSONAS

pytestmark = pytest.mark.django_db

# Can this persona see `patient_record` (the substance-use patient of `clinician`)?
SEES_PATIENT_RECORD = {
    "clinician": True,
    "outsider": False,
    "director": True,
    "front_desk": True,
    "intake": True,
    "biller": True,
    "privacy_officer": False,
    "admin_user": False,
    "patient_user": True,
    "other_patient_user": False,
    "family_user": True,
    "anonymous": False,
}
# Can this persona see `referral_record` (a referral to the substance-use program)?
SEES_REFERRAL = {
    "clinician": True,
    "outsider": False,
    "director": True,
    "front_desk": True,
    "intake": True,
    "biller": True,
    "privacy_officer": False,
    "admin_user": False,
    "patient_user": False,
    "other_patient_user": False,
    "family_user": False,
    "anonymous": False,
}
PATIENT_PARAMETERS = {"mrn", "pk", "referral_id"}


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def openiop_patterns():
    for route, pattern in walk(get_resolver().url_patterns):
        module = getattr(pattern.callback, "__module__", "")
        if module.startswith("openiop."):
            yield route, pattern


def patient_data_patterns():
    return [(route, p) for route, p in openiop_patterns() if getattr(p.callback, "shows_patient_data", False)]


def test_every_url_with_a_patient_in_it_is_marked_as_patient_data():
    unmarked = [
        route for route, pattern in openiop_patterns()
        if PATIENT_PARAMETERS & set(pattern.pattern.converters)
        and not getattr(pattern.callback, "shows_patient_data", False)
    ]
    assert unmarked == []


def test_the_matrix_covers_the_clinic_and_portal_patient_urls():
    names = {p.name for _, p in patient_data_patterns()}
    assert {"patient_list", "patient_chart", "break_glass", "access_report", "my_record"} <= names


@pytest.fixture
def url_arguments(patient_record, outsider):
    from openiop.privacy import services

    access = services.break_glass(
        user=outsider, patient=patient_record, reason_code="ETREAT",
        reason="Patient called the crisis line, care team unreachable",
    )
    # The outsider's own access would make the chart visible to them; end it so the matrix
    # tests the ordinary rule. The review page still has an access to show.
    access.expires_at = access.started_at - dt.timedelta(seconds=1)
    access.save()
    from openiop.intake import services as intake

    referral = intake.create_referral(
        actor=None, organization=patient_record.organization, program=patient_record.program_of_origin,
        first_name="Casey", last_name="Morrow", phone="555-0142",
    )
    from openiop.measures.models import Administration

    # The admission PHQ-9 that admit_patient created as due: the measure pages' record.
    administration = Administration.objects.filter(patient=patient_record, instrument_code="PHQ-9").first()
    # Plans: a signed relapse-prevention version of patient_record (the clinic version page hands
    # it to the RP editor; the portal sign page needs a signed version), one of its items, and a
    # patient's proposal.
    from openiop.plans import queries as plan_queries
    from openiop.plans import services as plan_services
    from openiop.plans.models import Plan, Proposal

    rp_plan = Plan.objects.get(patient=patient_record, kind="relapse_prevention")
    plan_clinician = plan_queries.primary_clinicians(rp_plan.episode)[0]
    rp_version = plan_services.start_revision(actor=plan_clinician, plan=rp_plan)
    rp_item = plan_services.save_item(actor=plan_clinician, version=rp_version, part="rp_item", kind="trigger",
                                      text="Payday Fridays")
    plan_services.save_item(actor=plan_clinician, version=rp_version, part="rp_item", kind="coping",
                            text="Call my sponsor")
    plan_services.sign_version(actor=plan_clinician, version=rp_version)
    proposal = Proposal.objects.create(plan=rp_plan, patient=patient_record, kind="warning_sign",
                                       text="Skipping breakfast", proposed_by=plan_clinician)
    return {"mrn": patient_record.mrn, "pk": access.pk, "referral_id": referral.pk,
            "administration_id": administration.pk, "code": "PHQ-9",
            "version_id": rp_version.pk, "item_id": rp_item.pk, "proposal_id": proposal.pk,
            **_treatment_plan_arguments(patient_record, plan_clinician),
            **_schedule_arguments(patient_record, plan_clinician),
            **_documentation_arguments(patient_record, plan_clinician)}


def _documentation_arguments(patient, clinician) -> dict:
    """Issue 7's records of `patient` (attendance, notes, medications, drug screens): each part
    keeps its own builder next to its tests."""
    from tests.attendance.access_arguments import arguments as attendance_arguments
    from tests.documentation.access_arguments import arguments as note_arguments
    from tests.medical.access_arguments import arguments as medical_arguments

    return {**attendance_arguments(patient, clinician), **note_arguments(patient, clinician),
            **medical_arguments(patient, clinician)}


def _treatment_plan_arguments(patient, clinician) -> dict:
    """A signed and reviewed treatment plan of `patient`: the review pages' plan and review."""
    from openiop.plans import services as plan_services
    from openiop.plans.models import Plan

    plan = Plan.objects.get(patient=patient, kind="treatment")
    draft = plan_services.start_revision(actor=clinician, plan=plan)
    goal = plan_services.save_item(actor=clinician, version=draft, part="goal", clinical_text="Abstinence")
    objective = plan_services.save_item(actor=clinician, version=draft, part="objective", goal=goal,
                                        text="Attend 90% of groups", target_date=dt.date(2026, 11, 1))
    plan_services.save_item(actor=clinician, version=draft, part="intervention", goal=goal, modality="cbt",
                            frequency="3 groups a week", responsible=clinician)
    plan_services.sign_version(actor=clinician, version=draft)
    review = plan_services.record_review(actor=clinician, plan=plan, reviewed_on=dt.date(2026, 11, 2),
                                         summary="Progressing", progress={objective.pk: ("progressing", "")})
    return {"plan_id": plan.pk, "review_id": review.pk}


def _schedule_arguments(patient, clinician) -> dict:
    """A coming session with `patient` on its roster, and a solver run: the schedule pages' records."""
    from django.utils import timezone

    from openiop.scheduling.models import Attendee, Session, SolveRun

    starts_at = timezone.now() + dt.timedelta(days=2)
    episode = patient.episodes.get(status="active")
    session = Session.objects.create(program=episode.program, kind="individual", starts_at=starts_at,
                                     ends_at=starts_at + dt.timedelta(hours=1), telehealth=True)
    session.staff.add(clinician)
    row = Attendee(session=session, patient=patient, episode=episode)
    row.label_for_program(episode.program)
    row.save()
    run = SolveRun.objects.create(organization=patient.organization, week_start=dt.date(2026, 11, 30),
                                  status="done", result={"patients": 1, "meeting_plan": 0,
                                                         "unmet": {patient.mrn: ["No free time"]}})
    return {"session_id": session.pk, "run_id": run.pk}


def build_url(route: str, pattern: URLPattern, arguments) -> str:
    from django.urls import reverse

    namespace = "clinic" if route.startswith("clinic/") else "portal"
    kwargs = {name: arguments[name] for name in pattern.pattern.converters}
    return reverse(f"{namespace}:{pattern.name}", kwargs=kwargs)


@pytest.mark.parametrize("persona_name", PERSONAS)
def test_patient_data_urls_admit_only_the_allowed_personas(
    persona_name, persona, url_arguments, patient_record, client, family_user,
    other_patient_user, patient_user,
):
    user = persona(persona_name)
    if user is not None:
        client.force_login(user)
    failures = []
    for route, pattern in patient_data_patterns():
        view = pattern.callback
        url = build_url(route, pattern, url_arguments)
        response = client.get(url)
        role_allowed = user is not None and user.role in view.allowed_roles
        sees = SEES_REFERRAL if "referral_id" in pattern.pattern.converters else SEES_PATIENT_RECORD
        patient_allowed = role_allowed and (not view.needs_visibility or sees[persona_name])
        if user is None:
            ok = response.status_code == 302 and "/accounts/login/" in response["Location"]
        elif patient_allowed:
            # 405: a POST-only action, reached by someone allowed to use it.
            ok = response.status_code in (200, 405) or (
                response.status_code == 302 and response["Location"].startswith(f"/{view.audience}/")
            )
        else:
            ok = response.status_code == 404
        if ok and response.status_code == 200 and not view.needs_visibility and "mrn" not in pattern.pattern.converters:
            # Lists and portal pages: the patient's MRN or name appears only for those who may see them.
            shown = bool(re.search(rf"{patient_record.mrn}|Quinlan|\bAve\b", response.text))
            ok = shown == SEES_PATIENT_RECORD[persona_name] or view.audience == "clinic" and pattern.name != "patient_list"
        if not ok:
            failures.append(f"{url}: {response.status_code}")
    assert failures == []
