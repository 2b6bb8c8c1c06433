"""The intake coordinator's referral screens: the board, a referral's page, new referrals."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from openiop.accounts.enums import Role
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.clinic.access import shows_patient_data
from openiop.clinic.referral_forms import (
    CloseForm,
    InsuranceForm,
    MoveForm,
    NoteForm,
    ReferralForm,
    WaitlistForm,
)
from openiop.clinic.views import _add_service_errors
from openiop.intake import queries, services
from openiop.intake.enums import NEXT_STAGES, OPEN_STAGES, Stage
from openiop.intake.models import Referral

# Who works referrals: the pipeline roles and the clinicians of the referral's program.
REFERRAL_ROLES = frozenset(
    {Role.DIRECTOR, Role.INTAKE, Role.FRONT_DESK, Role.BILLING, Role.CLINICIAN, Role.PRESCRIBER}
)
# Who may change a referral (billing only verifies insurance).
REFERRAL_EDITORS = frozenset({Role.DIRECTOR, Role.INTAKE, Role.FRONT_DESK})


def _record_duplicates_shown(user, duplicates) -> None:
    patients, referrals = duplicates
    audit.record_many(user=user, action=Action.LIST, patients=patients, detail={"list": "possible duplicates"})
    _record_list(user, referrals)


def _record_list(user, referrals) -> None:
    """Referrals are patient data: every one shown is recorded, in one insert."""
    audit.record_many_records(user=user, action=Action.LIST, records=referrals)


@shows_patient_data(roles=REFERRAL_ROLES, needs_visibility=False)
def referral_board(request):
    user = request.user
    query = request.GET.get("q", "").strip()[:100]
    try:
        program_id = int(request.GET.get("program") or 0) or None
    except ValueError:
        program_id = None
    grouped = queries.board(user, query=query, program_id=program_id)
    closed = queries.recently_closed(user)
    _record_list(user, [r for stage in grouped.values() for r in stage] + closed)
    today = timezone.localdate()
    stale_before = timezone.now() - dt.timedelta(days=queries.STALE_AFTER_DAYS)
    columns = [
        {"stage": Stage(stage), "referrals": [
            {"referral": r,
             "overdue": r.next_follow_up_on is not None and r.next_follow_up_on < today,
             "stale": r.last_action_at < stale_before}
            for r in referrals
        ]}
        for stage, referrals in grouped.items()
    ]
    return render(request, "clinic/referrals/board.html", {
        "columns": columns, "closed": closed, "query": query, "program_id": program_id,
        "programs": user.organization.programs.filter(active=True) if user.organization else [],
        "may_edit": user.role in REFERRAL_EDITORS,
        "may_see_metrics": user.role in (Role.DIRECTOR, Role.INTAKE),
    })


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=REFERRAL_EDITORS, needs_visibility=False)
def new_referral(request):
    """Enter a referral taken by phone, fax or letter, after checking for duplicates."""
    user = request.user
    organization = user.organization
    form = ReferralForm(request.POST or None, organization=organization)
    duplicates = ([], [])
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        candidate = Referral(organization=organization, **fields)
        duplicates = queries.possible_duplicates(candidate, user)
        _record_duplicates_shown(user, duplicates)
        if any(duplicates) and not form.cleaned_data["save_anyway"]:
            form.add_error("save_anyway", "This may be someone already known: check the list, then tick to save anyway.")
        else:
            try:
                referral = services.create_referral(actor=user, organization=organization, **fields)
            except ValidationError as error:
                _add_service_errors(form, error)
            else:
                messages.success(request, f"Referral for {referral.display_name} saved.")
                return redirect("clinic:referral_detail", referral_id=referral.pk)
    return render(request, "clinic/referrals/new.html", {
        "form": form, "duplicate_patients": duplicates[0], "duplicate_referrals": duplicates[1],
    })


@shows_patient_data(roles=REFERRAL_ROLES)
def referral_detail(request, referral_id):
    user = request.user
    referral = queries.get_visible_referral(user, referral_id)
    if referral is None:
        raise Http404("No such referral")
    audit.record(user=user, action=Action.VIEW, patient=referral.patient, obj=referral)
    return render(request, "clinic/referrals/detail.html", _detail_context(request, referral))


def _detail_context(request, referral, **forms):
    user = request.user
    duplicate_patients, duplicate_referrals = (
        queries.possible_duplicates(referral, user) if referral.is_open else ([], [])
    )
    _record_duplicates_shown(user, (duplicate_patients, duplicate_referrals))
    next_stages = [Stage(s) for s in NEXT_STAGES.get(referral.stage, ()) if s not in (Stage.CLOSED, Stage.ASSESSED, Stage.ADMITTED)]
    return {
        "referral": referral,
        "events": referral.events.select_related("by"),
        "next_stages": next_stages,
        "may_edit": user.role in REFERRAL_EDITORS,
        "may_verify": user.role in (*REFERRAL_EDITORS, Role.BILLING),
        "close_form": forms.get("close_form") or CloseForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "insurance_form": forms.get("insurance_form") or InsuranceForm(initial={
            "insurance_kind": referral.insurance_kind, "payer_name": referral.payer_name,
            "member_id": referral.member_id, "group_number": referral.group_number}),
        "waitlist_form": forms.get("waitlist_form") or WaitlistForm(
            organization=referral.organization, initial={"program": referral.program_id}),
        "duplicate_patients": duplicate_patients,
        "duplicate_referrals": duplicate_referrals,
        "links": _clinical_links(referral),
        "is_open": referral.stage in OPEN_STAGES,
    }


def _clinical_links(referral):
    links = []
    for name, label in (("referral_screening", "Screening"), ("referral_assessment", "Level-of-care assessment"),
                        ("referral_admit", "Admission")):
        try:
            links.append((label, reverse(f"clinic:{name}", kwargs={"referral_id": referral.pk})))
        except NoReverseMatch:
            continue
    return links


def _referral_for_change(request, referral_id, roles=REFERRAL_EDITORS):
    referral = queries.get_visible_referral(request.user, referral_id)
    if referral is None or request.user.role not in roles:
        raise Http404("No such referral")
    return referral


def _back(referral):
    return redirect("clinic:referral_detail", referral_id=referral.pk)


@shows_patient_data(roles=REFERRAL_EDITORS)
@require_POST
def move_referral(request, referral_id):
    referral = _referral_for_change(request, referral_id)
    form = MoveForm(request.POST)
    if form.is_valid():
        try:
            services.move_referral(actor=request.user, referral=referral,
                                   to_stage=form.cleaned_data["to_stage"], note=form.cleaned_data["note"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Moved to {referral.get_stage_display()}.")
    return _back(referral)


def _submit(request, referral, *, form, form_key, write, success):
    """Run one referral action from its form on the referral page. On success, go back to the
    page with a message; otherwise show the page again with the errors on that form's fields
    and everything typed kept."""
    if form.is_valid():
        try:
            write(**form.cleaned_data)
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, success)
            return _back(referral)
    context = _detail_context(request, referral, **{form_key: form})
    return render(request, "clinic/referrals/detail.html", context, status=400)


@shows_patient_data(roles=REFERRAL_EDITORS)
@require_POST
def close_referral(request, referral_id):
    referral = _referral_for_change(request, referral_id)
    return _submit(
        request, referral, form=CloseForm(request.POST), form_key="close_form", success="Referral closed.",
        write=lambda **data: services.close_referral(actor=request.user, referral=referral, **data),
    )


@shows_patient_data(roles=REFERRAL_EDITORS)
@require_POST
def add_note(request, referral_id):
    referral = _referral_for_change(request, referral_id)
    return _submit(
        request, referral, form=NoteForm(request.POST), form_key="note_form", success="Note added.",
        write=lambda **data: services.add_referral_note(actor=request.user, referral=referral, **data),
    )


@shows_patient_data(roles=(*REFERRAL_EDITORS, Role.BILLING))
@require_POST
def verify_insurance(request, referral_id):
    referral = _referral_for_change(request, referral_id, roles=(*REFERRAL_EDITORS, Role.BILLING))
    return _submit(
        request, referral, form=InsuranceForm(request.POST), form_key="insurance_form",
        success="Insurance verified.",
        write=lambda **data: services.verify_insurance(actor=request.user, referral=referral, **data),
    )


@shows_patient_data(roles=REFERRAL_EDITORS)
@require_POST
def waitlist(request, referral_id):
    referral = _referral_for_change(request, referral_id)
    return _submit(
        request, referral, form=WaitlistForm(request.POST, organization=referral.organization),
        form_key="waitlist_form", success="Added to the waitlist.",
        write=lambda **data: services.waitlist_referral(actor=request.user, referral=referral, **data),
    )


@shows_patient_data(roles=REFERRAL_ROLES, needs_visibility=False)
def referral_waitlist(request):
    grouped = queries.waitlist(request.user)
    _record_list(request.user, [r for rows in grouped.values() for r in rows])
    today = timezone.localdate()
    return render(request, "clinic/referrals/waitlist.html", {
        "groups": [(program, [(r, (today - r.waitlisted_on).days) for r in rows]) for program, rows in grouped.items()],
    })


@shows_patient_data(roles=(Role.DIRECTOR, Role.INTAKE), needs_visibility=False)
def referral_metrics(request):
    """Counts and medians only: no person is shown, so nothing here is audited per patient."""
    try:
        days = max(7, min(int(request.GET.get("days", 90)), 730))
    except ValueError:
        days = 90
    since = timezone.localdate() - dt.timedelta(days=days)
    return render(request, "clinic/referrals/metrics.html", {
        "metrics": queries.pipeline_metrics(request.user, since=since), "days": days, "since": since,
    })
