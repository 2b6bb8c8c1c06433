"""Staff screens. Views only read through queries and write through services."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from openiop.accounts.enums import CHART_ROLES, PRIVACY_ROLES, TREATING_ROLES, Role
from openiop.audit import queries as audit_queries
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.care import queries as care_queries
from openiop.clinic.access import shows_patient_data, staff_only
from openiop.clinic.day import build_day, has_a_day
from openiop.clinic.forms import (
    AccessReportForm,
    BreakGlassForm,
    BreakGlassReviewForm,
    PatientSearchForm,
)
from openiop.clinic.plan_views import plans_due_for
from openiop.clinic.task_links import work_link
from openiop.measures import queries as measure_queries
from openiop.patients.queries import (
    get_visible_patient,
    patient_for_access_report,
    patient_for_denial_audit,
    patient_for_emergency_access,
)
from openiop.patients.rules import can_break_glass
from openiop.privacy import queries as privacy_queries
from openiop.privacy import services as privacy
from openiop.worklist.models import Task

PAGE_SIZE = 50


@staff_only
def home(request):
    user = request.user
    context = {"search_form": PatientSearchForm()}
    if user.role in TREATING_ROLES:
        caseload = list(care_queries.caseload(user))
        audit.record_many(user=user, action=Action.LIST, patients=caseload, detail={"list": "caseload"})
        context["caseload"] = caseload
    if user.role in (Role.DIRECTOR, *TREATING_ROLES):
        context["census"] = list(care_queries.program_census(user))
    if user.role in (Role.DIRECTOR, *TREATING_ROLES):
        # Medicare recertifications due within 14 days or overdue: the director's for every
        # patient, a clinician's for the patients on their care teams.
        due = list(care_queries.recertifications_due(user))
        audit.record_many(user=user, action=Action.LIST, patients=[c.patient for c in due],
                          detail={"list": "recertifications due"})
        context["recertifications_due"] = due
        context["today"] = timezone.localdate()
    if user.role in (Role.DIRECTOR, *TREATING_ROLES):
        # A count only (no names), so nothing to audit here; the list itself is audited.
        measures_due = (measure_queries.due_in_programs(user) if user.role == Role.DIRECTOR
                        else measure_queries.due_for_clinician(user))
        context["measures_due"] = measures_due.count()
    if user.role in TREATING_ROLES:
        # Also a count only; the "Plans due" page lists (and audits) them.
        context["plans_due"] = len(plans_due_for(user))
    if user.role in PRIVACY_ROLES:
        context["unreviewed_break_glass"] = privacy_queries.break_glass_review_list(user).count()
    if has_a_day(user):
        # Today's sessions, notes, co-signatures, weekly hours, unexpected screens (clinic/day.py).
        day = build_day(user)
        audit.record_many(user=user, action=Action.LIST, patients=day.patients_shown(),
                          detail={"list": "clinician's day" if user.role != Role.DIRECTOR else "director's day"})
        context["day"] = day
        context["note_hours"] = settings.OPENIOP_UNSIGNED_NOTE_HOURS
    # Urgent safety alerts and other open tasks stay on the home page until acted on.
    context["open_tasks"] = list(
        Task.objects.open().for_user(user).select_related("patient", "referral")[:50]
    )
    for task in context["open_tasks"]:
        task.work = work_link(task, user)
    return render(request, "clinic/home.html", context)


@shows_patient_data(roles=CHART_ROLES, needs_visibility=False)
def patient_list(request):
    """Patient search and list. Every patient shown is recorded in the audit trail."""
    user = request.user
    form = PatientSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(care_queries.patient_list(user, query), PAGE_SIZE).get_page(request.GET.get("page"))
    action = Action.SEARCH if query else Action.LIST
    audit.record_many(user=user, action=action, patients=page.object_list, detail={"query": query} if query else {})
    context = {"form": form, "page": page, "query": query}
    if request.htmx:
        return render(request, "clinic/patient_list.html#results", context)
    return render(request, "clinic/patient_list.html", context)


@shows_patient_data(roles=CHART_ROLES)
def patient_chart(request, mrn):
    user = request.user
    patient = get_visible_patient(user, mrn)
    if patient is None:
        return _chart_not_found(request, mrn)
    chart = care_queries.chart(user, patient)
    emergency = privacy_queries.break_glass_in_use(user, patient)
    audit.record(
        user=user, action=Action.VIEW, patient=patient,
        reason=f"{emergency.reason_code}: {emergency.reason}" if emergency else "",
        detail={"sections": sorted(chart.sections)} | ({"break_glass": emergency.pk} if emergency else {}),
    )
    return render(request, "clinic/patient_chart.html", {"chart": chart, "patient": patient, "emergency": emergency})


def _chart_not_found(request, mrn):
    """The same 404 for "no such patient" and "not yours", so a chart's existence never leaks.
    Treating clinicians are offered emergency access. A refusal for a real patient is recorded
    in that patient's access report."""
    refused = patient_for_denial_audit(request.user, mrn)
    if refused is not None:
        audit.record(user=request.user, action=Action.DENIED, patient=refused, detail={"page": "chart"})
    return render(
        request, "clinic/patient_not_found.html",
        {"mrn": mrn, "may_break_glass": can_break_glass(request.user)}, status=404,
    )


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=TREATING_ROLES, needs_visibility=False)
def break_glass(request, mrn):
    """Emergency access to a chart outside the user's care teams, with a reason."""
    user = request.user
    patient = patient_for_emergency_access(user, mrn)
    if patient is None:
        raise Http404("No such patient")
    if get_visible_patient(user, mrn) is not None:
        # Their own patient, or emergency access already granted: nothing to break.
        return redirect("clinic:patient_chart", mrn=mrn)
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            privacy.break_glass(
                user=user, patient=patient,
                reason_code=form.cleaned_data["reason_code"], reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.warning(
                request,
                f"Emergency access granted for {settings.OPENIOP_BREAK_GLASS_HOURS} hours. "
                "This access is recorded and will be reviewed.",
            )
            return redirect("clinic:patient_chart", mrn=mrn)
    return render(request, "clinic/break_glass.html", {"form": form, "mrn": mrn})


@shows_patient_data(roles=PRIVACY_ROLES, needs_visibility=False)
def privacy_home(request):
    user = request.user
    reviews = list(privacy_queries.break_glass_review_list(user))
    return render(
        request, "clinic/privacy_home.html",
        {"reviews": reviews, "report_form": AccessReportForm(request.GET or None)},
    )


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=PRIVACY_ROLES, needs_visibility=False)
def break_glass_review(request, pk):
    user = request.user
    access = privacy_queries.break_glass_for_review(user, pk)
    if access is None:
        raise Http404("No such emergency access")
    form = BreakGlassReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            privacy.review_break_glass(
                reviewer=user, access=access,
                outcome=form.cleaned_data["outcome"], note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, "Review recorded.")
            return redirect("clinic:privacy_home")
    audit.record(user=user, action=Action.VIEW, patient=access.patient, obj=access)
    return render(request, "clinic/break_glass_review.html", {"access": access, "form": form})


@shows_patient_data(roles=PRIVACY_ROLES, needs_visibility=False)
def access_report(request, mrn):
    """Who saw or changed this patient's records. `?format=csv` downloads it."""
    user = request.user
    patient = patient_for_access_report(user, mrn)
    if patient is None:
        raise Http404("No such patient")
    form = AccessReportForm({"mrn": mrn, "since": request.GET.get("since", "")})
    since = form.cleaned_data.get("since") if form.is_valid() else None
    events = audit_queries.access_report(patient, since=since).select_related(None)
    wants_csv = request.GET.get("format") == "csv"
    audit.record(
        user=user, action=Action.EXPORT if wants_csv else Action.VIEW, patient=patient,
        detail={"report": "access", "format": "csv" if wants_csv else "html",
                "since": since.isoformat() if since else None},
    )
    if wants_csv:
        return _csv_response(audit_queries.report_rows(events), f"access-report-{patient.mrn}.csv")
    page = Paginator(events, 200).get_page(request.GET.get("page"))
    return render(request, "clinic/access_report.html", {"patient": patient, "page": page, "form": form, "since": since})


@staff_only
def access_report_lookup(request):
    if request.user.role not in PRIVACY_ROLES:
        raise Http404("Not found")
    form = AccessReportForm(request.GET or None)
    if form.is_valid():
        url = redirect("clinic:access_report", mrn=form.cleaned_data["mrn"].strip()).url
        since = form.cleaned_data.get("since")
        return redirect(f"{url}?since={since.isoformat()}" if since else url)
    return render(request, "clinic/privacy_home.html", {"reviews": [], "report_form": form})


def _csv_response(rows, filename):
    from defusedcsv import csv

    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    for row in rows:
        writer.writerow(row)
    return response


def _add_service_errors(form, error: ValidationError):
    """Show a service's validation errors on the form, keeping what the person typed."""
    if hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error.messages)
