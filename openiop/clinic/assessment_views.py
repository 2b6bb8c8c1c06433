"""Clinician screens for a referral: the screening interview and the level-of-care assessment;
and marking a worklist task done. Views read through queries and write through services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from openiop.accounts.enums import Role
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.clinic.access import shows_patient_data, staff_only
from openiop.clinic.assessment_forms import (
    AssessmentForm,
    FrameworkChoiceForm,
    ScreeningForm,
    availability_text,
    route_label,
)
from openiop.intake import services as intake
from openiop.intake.levels import FRAMEWORKS, escalations
from openiop.intake.models import LevelOfCareAssessment, Screening
from openiop.intake.queries import get_visible_referral
from openiop.programs.models import ProgramKind
from openiop.worklist import services as worklist
from openiop.worklist.models import Task, TaskKind

# Clinicians, prescribers and the director screen and assess (the services check it again).
ASSESSING_ROLES = frozenset({Role.CLINICIAN, Role.PRESCRIBER, Role.DIRECTOR})
# Who admits (admission_views) — here so the referral header shows the right links.
ADMITTING_ROLES = frozenset({Role.INTAKE, Role.DIRECTOR, Role.CLINICIAN, Role.PRESCRIBER})

CRISIS_LINE_TEXT = (
    "If you are thinking about suicide or are in crisis, call or text 988 (Suicide & Crisis "
    "Lifeline), any time, day or night. If you or someone else is in immediate danger, call 911."
)


def visible_referral_or_404(user, referral_id):
    referral = get_visible_referral(user, referral_id)
    if referral is None:
        raise Http404("No such referral")
    return referral


def referral_page_url(referral) -> str | None:
    """The referral's own page in the pipeline, when that screen exists."""
    try:
        return reverse("clinic:referral_detail", kwargs={"referral_id": referral.pk})
    except NoReverseMatch:
        return None


def referral_context(request, referral, *, current: str) -> dict:
    """What the shared referral header shows: who, where in the pipeline, and the next screens."""
    role = request.user.role
    return {
        "referral": referral,
        "referral_url": referral_page_url(referral),
        "current_step": current,
        "may_assess": role in ASSESSING_ROLES,
        "may_admit": role in ADMITTING_ROLES,
    }


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=ASSESSING_ROLES)
def referral_screening(request, referral_id):
    """The screening interview. Once saved it is a record: shown read-only from then on."""
    user = request.user
    referral = visible_referral_or_404(user, referral_id)
    screening = Screening.objects.visible_to(user).filter(referral=referral).select_related("completed_by").first()
    context = referral_context(request, referral, current="screening")
    if screening is not None:
        audit.record(user=user, action=Action.VIEW, patient=referral.patient, obj=screening)
        alerts = list(
            Task.objects.filter(referral=referral, kind=TaskKind.SAFETY, urgent=True)
            .select_related("assignee").order_by("created_at", "id")
        )
        return render(request, "clinic/assessment/screening_detail.html", context | {
            "screening": screening,
            "alerted": sorted({task.assignee.display_name for task in alerts}),
            "alerted_at": alerts[0].created_at if alerts else None,
            "substances": [dict(row, route=route_label(row.get("route", ""))) for row in screening.substance_use],
            "availability": availability_text(screening.weekly_availability),
            "crisis_line_text": CRISIS_LINE_TEXT,
        })
    form = ScreeningForm(request.POST or None)
    if request.method == "POST" and referral.is_open and form.is_valid():
        try:
            saved = intake.record_screening(actor=user, referral=referral, **form.answers())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if saved.positive_safety_answers:
                messages.warning(request, "Screening saved. A safety answer was yes: an urgent alert was sent.")
            else:
                messages.success(request, "Screening saved.")
            return redirect("clinic:referral_screening", referral_id=referral.pk)
    audit.record(user=user, action=Action.VIEW, patient=referral.patient, obj=referral,
                 detail={"page": "screening"})
    return render(request, "clinic/assessment/screening_form.html", context | {"form": form})


def _default_framework(referral) -> str:
    program = referral.program
    if program is not None and program.kind == ProgramKind.MENTAL_HEALTH:
        return "locus"
    return "asam3"


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=ASSESSING_ROLES)
def referral_assessment(request, referral_id):
    """The clinician enters ratings and decides the level; the software shows the cited
    escalations and floors and never decides. Signed assessments are shown read-only."""
    user = request.user
    referral = visible_referral_or_404(user, referral_id)
    signed = list(
        LevelOfCareAssessment.objects.visible_to(user).filter(referral=referral).select_related("signed_by")
    )
    key = request.POST.get("framework") if request.method == "POST" else request.GET.get("framework")
    if key not in FRAMEWORKS:
        key = _default_framework(referral)
    spec = FRAMEWORKS[key]
    wants_form = referral.is_open and (not signed or request.GET.get("new") or request.method == "POST")
    form = AssessmentForm(request.POST or None, framework=spec)
    preview = None
    if request.method == "POST" and wants_form and form.is_valid():
        arguments = form.signing_arguments()
        preview = escalations(spec, {k: v["rating"] for k, v in arguments["ratings"].items()})
        checking = request.POST.get("action") == "check"
        if preview and not checking and not form.cleaned_data["escalations_reviewed"]:
            form.add_error(
                "escalations_reviewed",
                "These ratings call for clinician review: read the escalations and confirm that you reviewed them.",
            )
        elif not checking:
            try:
                intake.sign_assessment(actor=user, referral=referral, **arguments)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Assessment signed.")
                return redirect("clinic:referral_assessment", referral_id=referral.pk)
    elif request.method == "POST" and wants_form:
        preview = escalations(spec, {k: v["rating"] for k, v in form.ratings().items()})
    audit.record(user=user, action=Action.VIEW, patient=referral.patient, obj=referral,
                 detail={"page": "assessment", "assessments": [a.pk for a in signed]})
    screening = Screening.objects.visible_to(user).filter(referral=referral).first()
    program = referral.program
    return render(request, "clinic/assessment/assessment.html", referral_context(request, referral, current="assessment") | {
        "signed": [_signed_view(a) for a in signed],
        "form": form if wants_form else None,
        "spec": spec,
        "framework_form": FrameworkChoiceForm(initial={"framework": spec.key}),
        "frameworks": FRAMEWORKS,
        "preview": preview,
        "screening": screening,
        "program": program,
        "hours_band": (program.min_weekly_hours, program.max_weekly_hours) if program else None,
    })


def _signed_view(assessment):
    """A signed assessment with its ratings laid out by the framework's dimensions."""
    spec = FRAMEWORKS.get(assessment.framework)
    rows = []
    if spec is not None:
        for dimension in spec.dimensions:
            entry = assessment.ratings.get(dimension.key) or {}
            rows.append({"dimension": dimension, "rating": entry.get("rating"), "rationale": entry.get("rationale", "")})
    level_name = (lambda code: f"{code} {spec.level(code).name}" if spec and spec.level(code) else code)
    return {
        "assessment": assessment,
        "spec": spec,
        "rows": rows,
        "recommended": level_name(assessment.recommended_level),
        "actual": level_name(assessment.actual_level),
    }


@require_POST
@staff_only
def complete_task(request, task_id):
    """Mark one of the user's own open tasks done. An urgent alert needs a written resolution.

    No patient data is shown here (it answers with a redirect), so it is a staff screen; a
    task that is not the user's is not found."""
    user = request.user
    task = Task.objects.for_user(user).filter(pk=task_id).select_related("patient").first()
    if task is None:
        raise Http404("No such task")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = reverse("clinic:home")
    try:
        worklist.complete_task(actor=user, task=task, resolution=request.POST.get("resolution", ""))
    except ValidationError as error:
        messages.error(request, f"“{task.title}” is not marked done: {' '.join(error.messages)}")
    else:
        messages.success(request, f"Marked done: {task.title}")
    return redirect(back)


def add_service_errors(form, error: ValidationError, *, aliases: dict | None = None):
    """Show a service's validation errors next to the inputs they name, keeping what was typed.

    `aliases` maps a service's error key to a form field; other unknown keys become errors of
    the whole form."""
    aliases = aliases or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages_ in error.message_dict.items():
        field = aliases.get(key, key)
        if field in form.fields:
            form.add_error(field, messages_)
        else:
            form.add_error(None, messages_)

