"""Attendance screens: the roster taken in the room (phone or tablet), a patient's attendance
week by week, the weekly attended hours of everyone one may see, and the outreach call after an
unexcused absence. Writes go through openiop.attendance.services; reads through its queries."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from openiop.attendance import queries, services
from openiop.attendance.models import AttendanceStatus
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.clinic.access import shows_patient_data, visible_patient_or_404
from openiop.clinic.attendance_forms import OutreachForm, RosterEntryForm
from openiop.programs.models import Program
from openiop.scheduling import queries as schedule_queries
from openiop.scheduling.rules import week_of

# Weeks one may ask for: far enough either way for any real record, and far from the ends of
# the calendar (date.min/date.max), so stepping a week back or forward never overflows.
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2200, 12, 31)


def _date(text, default: dt.date) -> dt.date:
    try:
        found = dt.date.fromisoformat(text) if text else default
    except ValueError:
        return default
    return found if EARLIEST <= found <= LATEST else default


# The roster ----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=queries.TAKE_ROLES)
def session_attendance(request, session_id):
    """Take (or correct) a session's attendance: one fieldset per patient, one Save for all.
    Staff of the session, or someone who may see every patient on it; others get 404."""
    user = request.user
    session = schedule_queries.session_for(user, session_id)
    if session is None:
        raise Http404("No such session")
    roster = queries.roster(user, session)
    if not queries.may_take(user, session, roster):
        raise Http404("No such session")
    data = request.POST if request.method == "POST" else None
    forms = [RosterEntryForm(data, row=row, session=session) for row in roster.rows]
    errors, status = [], 200
    if request.method == "POST":
        status = 400
        if all(form.is_valid() for form in forms):
            entries = [entry for form in forms if (entry := form.entry()) is not None]
            if not entries:
                errors = [("", "Choose present, late, left early or absent for at least one patient.")]
            else:
                try:
                    saved = services.take_roster(actor=user, session=session, entries=entries)
                except services.RosterError as error:
                    by_row = {form.row.attendee.pk: form for form in forms}
                    for pk, fields in error.rows.items():
                        for name, field_messages in fields.items():
                            for message in field_messages:
                                by_row[pk].add_error(name if name in by_row[pk].fields else None, message)
                else:
                    absent = sum(1 for a in saved if a.status == AttendanceStatus.ABSENT_UNEXCUSED)
                    note = f" {absent} unexcused absence{'s' if absent != 1 else ''}: a call is on the worklist." \
                        if absent else ""
                    messages.success(request, f"Attendance saved for {len(saved)} patient{'s' if len(saved) != 1 else ''}.{note}")
                    return redirect("clinic:session_attendance", session_id=session.pk)
        errors = errors or [item for form in forms for item in form.error_summary]
    audit.record_many(user=user, action=Action.VIEW, patients=roster.patients,
                      detail={"page": "attendance roster", "session": session.pk})
    return render(request, "clinic/attendance/roster.html", {
        "session": session, "roster": roster, "rows": list(zip(roster.rows, forms, strict=True)),
        "errors": errors, "started": session.starts_at <= timezone.now(),
        "statuses": AttendanceStatus.choices,
    }, status=status)


# A patient's attendance ---------------------------------------------------------------------------------


@shows_patient_data(roles=queries.READ_ROLES)
def patient_attendance(request, mrn):
    """The patient's sessions week by week with what was recorded, and each week's attended
    hours against their target and the program's band."""
    patient = visible_patient_or_404(request, mrn, page="attendance")
    weeks = queries.patient_history(patient)
    audit.record(user=request.user, action=Action.VIEW, patient=patient, detail={"page": "attendance"})
    return render(request, "clinic/attendance/patient.html", {
        "patient": patient, "weeks": weeks,
        "may_take": request.user.role in queries.TAKE_ROLES,
    })


# Weekly attended hours ----------------------------------------------------------------------------------


@shows_patient_data(roles=queries.HOURS_ROLES, needs_visibility=False)
def attended_hours(request):
    """Attended hours per patient in one week (the last finished week unless `week` says),
    patients below their program's band first."""
    user = request.user
    today = timezone.localdate()
    week_start = week_of(_date(request.GET.get("week"), week_of(today) - dt.timedelta(days=7)))
    programs = {str(p.pk): p for p in Program.objects.filter(organization_id=user.organization_id, active=True)}
    program = programs.get(request.GET.get("program", ""))
    rows = queries.weekly_attended(user, week_start, program=program)
    audit.record_many(user=user, action=Action.LIST, patients=[r.patient for r in rows],
                      detail={"list": "attended hours", "week": week_start.isoformat()})
    url = reverse("clinic:attended_hours")
    extra = {"program": program.pk} if program else {}
    return render(request, "clinic/attendance/hours.html", {
        "rows": rows, "below": [r for r in rows if r.below_band], "week_start": week_start,
        "week_end": week_start + dt.timedelta(days=6), "week_over": week_start + dt.timedelta(days=7) <= today,
        "programs": programs, "program": program,
        "previous": f"{url}?{urlencode(extra | {'week': (week_start - dt.timedelta(days=7)).isoformat()})}",
        "following": f"{url}?{urlencode(extra | {'week': (week_start + dt.timedelta(days=7)).isoformat()})}",
    })


# Outreach after an absence -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=queries.OUTREACH_ROLES)
def outreach(request, task_id):
    """The call after an unexcused absence: the absence, the patient's phone, and what came of it."""
    user = request.user
    task = queries.outreach_task_for(user, task_id)
    if task is None:
        raise Http404("No such task")
    patient = task.patient
    status = 200
    if request.method == "POST" and task.done_at is None:
        form = OutreachForm(request.POST)
        if form.is_valid():
            try:
                services.record_outreach(actor=user, task=task, outcome=form.cleaned_data["outcome"],
                                         note=form.cleaned_data["note"])
            except ValidationError as error:
                for name, field_messages in error.message_dict.items():
                    for message in field_messages:
                        form.add_error(name if name in form.fields else None, message)
            else:
                messages.success(request, f"Call recorded: {task.resolution}")
                return redirect("clinic:patient_attendance", mrn=patient.mrn)
        status = 400
    else:
        form = OutreachForm()
    audit.record(user=user, action=Action.VIEW, patient=patient, obj=task, detail={"page": "outreach"})
    return render(request, "clinic/attendance/outreach.html", {
        "task": task, "patient": patient, "form": form, "absence": queries.absence_for(task),
    }, status=status)
