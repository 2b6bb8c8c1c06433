"""The clinic's schedule screens: the week and day calendars (by program, room, staff member or
patient), the front desk's "today" board, a session's page (move, cancel, add or remove a
patient), booking a session by hand, group series with rolling membership, the weekly hours
each patient is scheduled for, and the weekly solver's page.

Who: the clinical director, clinicians, prescribers, front desk and intake see the calendars;
a roster names only the patients the user may see (`visible_to`) and counts the others. The
director, clinicians, prescribers and front desk change the calendar; the director and front
desk run the solver. Billing, the privacy officer and the administrator get 404.

Views read through `openiop.scheduling.queries` and write only through
`openiop.scheduling.services`; every page that shows patient names is audited (lists with one
event per patient shown). A refused edit is a 400 naming each conflict, with what was typed
kept in the form.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from openiop.accounts.enums import Role
from openiop.accounts.models import User
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.care.models import EpisodeStatus
from openiop.clinic.access import shows_patient_data, staff_only, visible_patient_or_404
from openiop.clinic.schedule_forms import (
    AddAttendeeForm,
    AddMemberForm,
    BookSessionForm,
    CancelSessionForm,
    JoinSeriesForm,
    LeaveSeriesForm,
    MoveSessionForm,
    RemoveAttendeeForm,
    ScheduleChoices,
    SolveForm,
)
from openiop.patients.models import Patient
from openiop.programs.models import Program, Room
from openiop.scheduling import queries
from openiop.scheduling import services as scheduling
from openiop.scheduling.conflicts import ScheduleConflict
from openiop.scheduling.models import (
    GroupSeries,
    GroupType,
    SeriesMembership,
    SessionKind,
    SolveRun,
    SolveStatus,
)
from openiop.scheduling.queries import CALENDAR_ROLES, EDIT_ROLES, SOLVE_ROLES
from openiop.scheduling.rules import week_days, week_of

# Who can be put on a session as staff.
SESSION_STAFF_ROLES = (Role.DIRECTOR, Role.CLINICIAN, Role.PRESCRIBER)
RECENT_RUNS = 10


# Shared helpers ------------------------------------------------------------------------------------


def _date(text, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(text) if text else default
    except ValueError:
        return default


def _choices(user, *, site=None, only=("programs", "rooms", "staff", "group_types")) -> ScheduleChoices:
    """Programs, rooms, staff and group types of the user's organization (one query each of
    those asked for)."""
    organization = user.organization_id
    choices = ScheduleChoices()
    if "programs" in only:
        choices.programs = {str(p.pk): p for p in Program.objects.filter(organization_id=organization, active=True)}
    if "rooms" in only:
        rooms = Room.objects.filter(site__organization_id=organization).select_related("site")
        if site is not None:
            rooms = rooms.filter(site=site)
        choices.rooms = {str(r.pk): r for r in rooms}
    if "staff" in only:
        choices.staff = {str(u.pk): u for u in User.objects.filter(
            organization_id=organization, role__in=SESSION_STAFF_ROLES, is_active=True).order_by(
            "last_name", "first_name", "pk")}
    if "group_types" in only:
        choices.group_types = {str(g.pk): g for g in GroupType.objects.filter(organization_id=organization, active=True)}
    return choices


def _admitted_patients(user, program) -> dict:
    """Patients the user may see with an active episode in `program`, as {str(pk): patient}."""
    if program is None:
        return {}
    found = (Patient.objects.visible_to(user).filter(episodes__program=program, episodes__status=EpisodeStatus.ACTIVE)
             .distinct().order_by("legal_last_name", "legal_first_name", "pk"))
    return {str(p.pk): p for p in found}


def _flags(user) -> dict:
    return {"may_book": user.role in EDIT_ROLES, "may_solve": user.role in SOLVE_ROLES}


def _add_conflicts(form, conflict: ScheduleConflict) -> None:
    """The service's refusal on the form: each conflict named, the agreement box offered when
    the only problems are the patient's free times."""
    form.add_error(None, [str(message) for message in conflict.messages])
    form.offer_agreement = any(message.warning for message in conflict.messages)


def _session_or_404(user, session_id):
    session = queries.session_for(user, session_id)
    if session is None:
        raise Http404("No such session")
    return session


def _session_url(session) -> str:
    return reverse("clinic:schedule_session", kwargs={"session_id": session.pk})


# 1. Calendars -----------------------------------------------------------------------------------------


CALENDAR_FILTERS = ("programs", "rooms", "staff")


def _filters(request, choices) -> dict:
    return {
        "program": choices.programs.get(request.GET.get("program", "")),
        "room": choices.rooms.get(request.GET.get("room", "")),
        "staff": choices.staff.get(request.GET.get("staff", "")),
    }


def _query(filters: dict, **extra) -> str:
    values = {name: value.pk for name, value in filters.items() if value is not None}
    values.update({name: value for name, value in extra.items() if value})
    return urlencode(values)


def _render_calendar(request, *, rows, days, filters, choices, title, period, previous, following, page, **extra):
    audit.record_many(user=request.user, action=Action.LIST, patients=queries.patients_shown(rows),
                      detail={"list": page, "from": days[0].isoformat(), "to": days[-1].isoformat()})
    grouped = {day: [] for day in days}
    for row in rows:
        grouped.setdefault(row.local_day, []).append(row)
    return render(request, "clinic/schedule/week.html", {
        "title": title, "period": period, "days": list(grouped.items()), "rows": rows, "filters": filters,
        "choices": choices, "previous": previous, "following": following, "today": timezone.localdate(),
        "page": page, **_flags(request.user), **extra,
    })


@shows_patient_data(roles=CALENDAR_ROLES, needs_visibility=False)
def week(request):
    """The week's sessions, one column a day (a list a day on a phone)."""
    user = request.user
    week_start = week_of(_date(request.GET.get("week"), timezone.localdate()))
    choices = _choices(user, only=CALENDAR_FILTERS)
    filters = _filters(request, choices)
    rows = queries.week_sessions(user, week_start, **filters)
    url = reverse("clinic:schedule_week")
    return _render_calendar(
        request, rows=rows, days=week_days(week_start), filters=filters, choices=choices,
        title="Schedule", period=f"Week of {week_start:%A} {week_start.day} {week_start:%B %Y}",
        previous=f"{url}?{_query(filters, week=(week_start - dt.timedelta(days=7)).isoformat())}",
        following=f"{url}?{_query(filters, week=(week_start + dt.timedelta(days=7)).isoformat())}",
        page="schedule week", week_start=week_start,
        day_url=reverse("clinic:schedule_day"), filter_query=_query(filters),
    )


@shows_patient_data(roles=CALENDAR_ROLES, needs_visibility=False)
def day(request):
    user = request.user
    on = _date(request.GET.get("day"), timezone.localdate())
    choices = _choices(user, only=CALENDAR_FILTERS)
    filters = _filters(request, choices)
    rows = queries.day_sessions(user, on, **filters)
    url = reverse("clinic:schedule_day")
    return _render_calendar(
        request, rows=rows, days=[on], filters=filters, choices=choices,
        title="Schedule", period=f"{on:%A} {on.day} {on:%B %Y}",
        previous=f"{url}?{_query(filters, day=(on - dt.timedelta(days=1)).isoformat())}",
        following=f"{url}?{_query(filters, day=(on + dt.timedelta(days=1)).isoformat())}",
        page="schedule day", week_start=week_of(on), day_url=url, filter_query=_query(filters), single_day=True,
    )


@shows_patient_data(roles=CALENDAR_ROLES, needs_visibility=False)
def today(request):
    """The front desk's board: every session today in time order, the next one highlighted."""
    user = request.user
    on = timezone.localdate()
    rows = queries.today_board(user, on)
    audit.record_many(user=user, action=Action.LIST, patients=queries.patients_shown(rows),
                      detail={"list": "today board", "day": on.isoformat()})
    return render(request, "clinic/schedule/today.html", {"rows": rows, "today": on, "now": timezone.now(), **_flags(user)})


# 2. The patient's schedule, joining and leaving series, fitting them into the week -----------------


def _render_patient_schedule(request, patient, *, join_form=None, leave_form=None, leave_id=None, status=200):
    user = request.user
    week_start = week_of(_date(request.GET.get("week"), timezone.localdate()))
    rows = queries.week_sessions(user, week_start, patient=patient)
    memberships = list(queries.memberships_of(patient))
    today = timezone.localdate()
    may_book = user.role in EDIT_ROLES
    current = [m for m in memberships if m.left_on is None or m.left_on >= today]
    leave_forms = {}
    if may_book:
        leave_forms = {m.pk: (leave_form if m.pk == leave_id else LeaveSeriesForm(membership=m)) for m in current
                       if m.left_on is None}
        if join_form is None:
            join_form = JoinSeriesForm(choices=ScheduleChoices(
                series={str(s.pk): s for s in queries.series_open_to(patient, on=today)}))
    progress = queries.curriculum_progress_by_group_type(patient, [m.series.group_type for m in current])
    audit.record(user=user, action=Action.VIEW, patient=patient,
                 detail={"page": "schedule", "week": week_start.isoformat()})
    # The rosters of the patient's sessions name the others on them the user may see.
    audit.record_many(user=user, action=Action.LIST,
                      patients=[p for p in queries.patients_shown(rows) if p.pk != patient.pk],
                      detail={"list": "rosters on another patient's schedule", "week": week_start.isoformat()})
    url = reverse("clinic:patient_schedule", kwargs={"mrn": patient.mrn})
    errors = [*(join_form.error_summary if join_form is not None and join_form.is_bound else []),
              *(leave_form.error_summary if leave_form is not None else [])]
    return render(request, "clinic/schedule/patient.html", {
        "patient": patient, "week_start": week_start, "days": queries.by_day(rows, week_start), "rows": rows,
        "previous": f"{url}?week={(week_start - dt.timedelta(days=7)).isoformat()}",
        "following": f"{url}?week={(week_start + dt.timedelta(days=7)).isoformat()}",
        "memberships": [(m, leave_forms.get(m.pk), progress.get(m.series.group_type_id)) for m in memberships],
        "join_form": join_form, "errors": errors, "today": today, **_flags(user),
    }, status=status)


@shows_patient_data(roles=CALENDAR_ROLES)
def patient_schedule(request, mrn):
    patient = visible_patient_or_404(request, mrn, page="schedule")
    return _render_patient_schedule(request, patient)


@shows_patient_data(roles=EDIT_ROLES)
def patient_join_series(request, mrn):
    """Rolling admission: the patient joins a group series from a chosen day (default today)."""
    patient = visible_patient_or_404(request, mrn, page="schedule")
    if request.method != "POST":
        return redirect("clinic:patient_schedule", mrn=mrn)
    form = JoinSeriesForm(request.POST, choices=ScheduleChoices(
        series={str(s.pk): s for s in queries.series_open_to(patient)}))
    if form.is_valid():
        series = form.chosen_series()
        try:
            membership = scheduling.join_series(patient, series, on=form.cleaned_data["on"], by=request.user,
                                                patient_agreed=form.cleaned_data["patient_agreed"])
        except ScheduleConflict as conflict:
            _add_conflicts(form, conflict)
        else:
            added = membership.attendees.count()
            messages.success(request, f"{patient.display_name} joins {series.name} from "
                                      f"{membership.joined_on:%A %d %B}; added to {added} session{'s' if added != 1 else ''} "
                                      "already on the calendar.")
            return redirect("clinic:patient_schedule", mrn=mrn)
    return _render_patient_schedule(request, patient, join_form=form, status=400)


@shows_patient_data(roles=EDIT_ROLES)
def patient_leave_series(request, mrn):
    patient = visible_patient_or_404(request, mrn, page="schedule")
    if request.method != "POST":
        return redirect("clinic:patient_schedule", mrn=mrn)
    membership = (SeriesMembership.objects.filter(patient=patient, pk=request.POST.get("membership") or 0)
                  .select_related("series", "patient").first() if str(request.POST.get("membership", "")).isdigit()
                  else None)
    if membership is None:
        raise Http404("No such membership")
    form = LeaveSeriesForm(request.POST, membership=membership)
    if form.is_valid():
        try:
            scheduling.leave_series(membership, on=form.cleaned_data["on"], reason=form.cleaned_data["reason"],
                                    by=request.user)
        except ScheduleConflict as conflict:
            _add_conflicts(form, conflict)
        else:
            messages.success(request, f"{patient.display_name} leaves {membership.series.name} after "
                                      f"{membership.left_on:%A %d %B}.")
            return redirect("clinic:patient_schedule", mrn=mrn)
    return _render_patient_schedule(request, patient, leave_form=form, leave_id=membership.pk, status=400)


@shows_patient_data(roles=SOLVE_ROLES)
def patient_fit_week(request, mrn):
    """"Fit into this week": a repair run of the solver for this patient only."""
    patient = visible_patient_or_404(request, mrn, page="schedule")
    if request.method != "POST":
        return redirect("clinic:patient_schedule", mrn=mrn)
    week_start = week_of(_date(request.POST.get("week"), timezone.localdate()))
    run = _start_solve(request.user, week_start, repair_patients=[patient])
    audit.record(user=request.user, action=Action.CREATE, patient=patient, obj=run,
                 detail={"scheduling": "asked the solver to fit the patient into the week", "week": week_start.isoformat()})
    return redirect("clinic:schedule_solve_run", run_id=run.pk)


# 3. A session: its page, moving, cancelling, adding and removing patients --------------------------


def _render_session(request, session, *, move_form=None, cancel_form=None, add_form=None, remove_form=None,
                    status=200):
    user = request.user
    attendees = list(session.attendees.all())
    visible = queries.visible_patient_ids(user, [a.patient_id for a in attendees])
    roster = [a.patient for a in attendees if a.patient_id in visible]
    progress = queries.curriculum_progress_for(roster, session.group_type) if session.group_type_id else {}
    editable = (not session.is_cancelled and session.starts_at > timezone.now()
                and queries.may_edit(user, session))
    addable = {}
    if editable:
        choices = _choices(user, site=session.program.site_id, only=("rooms", "staff"))
        if session.kind == SessionKind.GROUP or not attendees:
            addable = {key: p for key, p in _admitted_patients(user, session.program).items()
                       if p.pk not in {a.patient_id for a in attendees}}
        roster_choices = ScheduleChoices(patients={str(p.pk): p for p in roster})
        move_form = move_form or MoveSessionForm(session=session, choices=choices)
        cancel_form = cancel_form or CancelSessionForm()
        add_form = add_form or AddAttendeeForm(choices=ScheduleChoices(patients=addable))
        remove_form = remove_form or RemoveAttendeeForm(choices=roster_choices)
    audit.record_many(user=user, action=Action.VIEW, patients=roster,
                      detail={"page": "session", "session": session.pk})
    if addable:
        audit.record_many(user=user, action=Action.LIST, patients=list(addable.values()),
                          detail={"list": "patients who could join the session", "session": session.pk})
    errors = [item for form in (move_form, cancel_form, add_form, remove_form)
              if form is not None and form.is_bound for item in form.error_summary]
    return render(request, "clinic/schedule/session.html", {
        "session": session, "staff": list(session.staff.all()),
        "roster": [(p, progress.get(p.pk)) for p in roster], "hidden": len(attendees) - len(roster),
        "editable": editable, "move_form": move_form, "cancel_form": cancel_form, "add_form": add_form,
        "remove_form": remove_form, "errors": errors, "started": session.starts_at <= timezone.now(),
        **_flags(user),
    }, status=status)


@shows_patient_data(roles=CALENDAR_ROLES, needs_visibility=False)
def session_detail(request, session_id):
    session = _session_or_404(request.user, session_id)
    return _render_session(request, session)


def _editable_session(request, session_id):
    """The session a POST changes: one the user may see and edit (else 404). A GET of the
    action's URL is sent to the session's page (None is returned)."""
    session = _session_or_404(request.user, session_id)
    if request.method != "POST":
        return None
    if not queries.may_edit(request.user, session):
        raise Http404("Not found")
    return session


@shows_patient_data(roles=EDIT_ROLES, needs_visibility=False)
def session_move(request, session_id):
    session = _editable_session(request, session_id)
    if session is None:
        return redirect("clinic:schedule_session", session_id=session_id)
    form = MoveSessionForm(request.POST, choices=_choices(request.user, site=session.program.site_id,
                                                          only=("rooms", "staff")))
    if form.is_valid():
        try:
            scheduling.move_session(session, by=request.user, **form.service_fields())
        except ScheduleConflict as conflict:
            _add_conflicts(form, conflict)
        else:
            messages.success(request, "Session moved. The weekly solver will keep it where you put it.")
            return redirect(_session_url(session))
    return _render_session(request, session, move_form=form, status=400)


@shows_patient_data(roles=EDIT_ROLES, needs_visibility=False)
def session_cancel(request, session_id):
    session = _editable_session(request, session_id)
    if session is None:
        return redirect("clinic:schedule_session", session_id=session_id)
    form = CancelSessionForm(request.POST)
    if form.is_valid():
        try:
            scheduling.cancel_session(session, reason=form.cleaned_data["reason"], by=request.user)
        except ScheduleConflict as conflict:
            _add_conflicts(form, conflict)
        else:
            messages.success(request, "Session cancelled. It stays on the calendar, marked cancelled.")
            return redirect(_session_url(session))
    return _render_session(request, session, cancel_form=form, status=400)


@shows_patient_data(roles=EDIT_ROLES, needs_visibility=False)
def session_add_patient(request, session_id):
    session = _editable_session(request, session_id)
    if session is None:
        return redirect("clinic:schedule_session", session_id=session_id)
    roster = {a.patient_id for a in session.attendees.all()}
    addable = {k: p for k, p in _admitted_patients(request.user, session.program).items() if p.pk not in roster}
    form = AddAttendeeForm(request.POST, choices=ScheduleChoices(patients=addable))
    if form.is_valid():
        patient = form.chosen_patient()
        try:
            scheduling.add_attendee(session, patient, by=request.user,
                                    patient_agreed=form.cleaned_data["patient_agreed"])
        except ScheduleConflict as conflict:
            _add_conflicts(form, conflict)
        else:
            messages.success(request, f"{patient.display_name} added.")
            return redirect(_session_url(session))
    return _render_session(request, session, add_form=form, status=400)


@shows_patient_data(roles=EDIT_ROLES, needs_visibility=False)
def session_remove_patient(request, session_id):
    session = _editable_session(request, session_id)
    if session is None:
        return redirect("clinic:schedule_session", session_id=session_id)
    attendees = list(session.attendees.all())
    visible = queries.visible_patient_ids(request.user, [a.patient_id for a in attendees])
    form = RemoveAttendeeForm(request.POST, choices=ScheduleChoices(
        patients={str(a.patient_id): a.patient for a in attendees if a.patient_id in visible}))
    if form.is_valid():
        patient = form.chosen_patient()
        try:
            scheduling.remove_attendee(session, patient, by=request.user, reason=form.cleaned_data["reason"])
        except ScheduleConflict as conflict:
            _add_conflicts(form, conflict)
        else:
            messages.success(request, f"{patient.display_name} removed from this session.")
            return redirect(_session_url(session))
    return _render_session(request, session, remove_form=form, status=400)


# 4. Booking a session by hand -------------------------------------------------------------------------


@shows_patient_data(roles=EDIT_ROLES, needs_visibility=False)
def book(request):
    """Book a one-to-one visit or a group session by hand. The patients offered are those the
    user may see who are admitted to the chosen program (`?program=`, or the program of the
    patient in `?mrn=`)."""
    user = request.user
    choices = _choices(user)
    data = request.POST if request.method == "POST" else None
    program_key = (data or request.GET).get("program", "")
    initial = {"minutes": 60, "day": timezone.localdate() + dt.timedelta(days=1)}
    mrn = request.GET.get("mrn", "")
    if mrn and data is None:
        patient = Patient.objects.visible_to(user).filter(mrn=mrn).first()
        episode = patient.episodes.filter(status=EpisodeStatus.ACTIVE).first() if patient else None
        if episode is not None:
            program_key = program_key or str(episode.program_id)
            initial["patients"] = [str(patient.pk)]
    program = choices.programs.get(program_key)
    if program is None and len(choices.programs) == 1:
        program = next(iter(choices.programs.values()))
    if program is not None:
        initial["program"] = str(program.pk)
        choices.rooms = {k: r for k, r in choices.rooms.items() if r.site_id == program.site_id}
    choices.patients = _admitted_patients(user, program)
    form = BookSessionForm(data, choices=choices, initial=initial)
    status = 200
    if data is not None:
        if form.is_valid():
            try:
                session = scheduling.book_session(by=user, **form.service_fields())
            except ScheduleConflict as conflict:
                _add_conflicts(form, conflict)
            else:
                messages.success(request, f"Booked: {session.title}, {timezone.localtime(session.starts_at):%Y-%m-%d %H:%M}.")
                return redirect(_session_url(session))
        status = 400
    audit.record_many(user=user, action=Action.LIST, patients=list(choices.patients.values()),
                      detail={"list": "patients who could be booked", "program": program.pk if program else None})
    return render(request, "clinic/schedule/book.html", {
        "form": form, "program": program, "programs": choices.programs, **_flags(user),
    }, status=status)


# 5. Group series, weekly hours ------------------------------------------------------------------------


def _render_series(request, *, program, bound=None, bound_series_id=None, status=200):
    user = request.user
    programs = {str(p.pk): p for p in Program.objects.filter(organization_id=user.organization_id, active=True)}
    rows = queries.series_list(user, program=program)
    candidates = {}
    if program is not None and user.role in EDIT_ROLES:
        candidates = _admitted_patients(user, program)
    listed = []
    for row in rows:
        form = None
        if candidates:
            members = {m.patient_id for m in row.members}
            form = bound if row.series.pk == bound_series_id else AddMemberForm(
                series=row.series, choices=ScheduleChoices(
                    patients={k: p for k, p in candidates.items() if p.pk not in members}))
        listed.append((row, form))
    shown = list({m.patient_id: m.patient for row in rows for m in row.members}.values())
    audit.record_many(user=user, action=Action.LIST, patients=shown, detail={"list": "group series members"})
    if candidates:
        audit.record_many(user=user, action=Action.LIST, patients=list(candidates.values()),
                          detail={"list": "patients who could join a series", "program": program.pk})
    return render(request, "clinic/schedule/series.html", {
        "rows": listed, "programs": programs, "program": program,
        "errors": bound.error_summary if bound is not None else [], **_flags(user)}, status=status)


@shows_patient_data(roles=CALENDAR_ROLES, needs_visibility=False)
def series_list(request):
    """The group series running, with their members; choosing a program offers "Add a patient"
    on each series (the patients admitted to that program)."""
    programs = {str(p.pk): p for p in Program.objects.filter(organization_id=request.user.organization_id)}
    return _render_series(request, program=programs.get(request.GET.get("program", "")))


@shows_patient_data(roles=EDIT_ROLES, needs_visibility=False)
def series_add_member(request):
    """Rolling admission from the series page: a patient joins the series named in the POST."""
    user = request.user
    if request.method != "POST":
        return redirect("clinic:schedule_series")
    key = str(request.POST.get("series", ""))
    series = (GroupSeries.objects.filter(program__organization_id=user.organization_id, pk=key)
              .select_related("program", "group_type").first() if key.isdigit() else None)
    if series is None:
        raise Http404("No such series")
    members = set(SeriesMembership.objects.filter(series=series).filter(
        Q(left_on__isnull=True) | Q(left_on__gte=timezone.localdate())).values_list("patient_id", flat=True))
    form = AddMemberForm(request.POST, series=series, choices=ScheduleChoices(
        patients={k: p for k, p in _admitted_patients(user, series.program).items() if p.pk not in members}))
    if form.is_valid():
        patient = form.chosen_patient()
        try:
            scheduling.join_series(patient, series, on=form.cleaned_data["on"], by=user,
                                   patient_agreed=form.cleaned_data["patient_agreed"])
        except ScheduleConflict as conflict:
            _add_conflicts(form, conflict)
        else:
            messages.success(request, f"{patient.display_name} joins {series.name} from "
                                      f"{form.cleaned_data['on']:%A %d %B}.")
            return redirect(f"{reverse('clinic:schedule_series')}?program={series.program_id}")
    return _render_series(request, program=series.program, bound=form, bound_series_id=series.pk, status=400)


@shows_patient_data(roles=CALENDAR_ROLES, needs_visibility=False)
def dose(request):
    """Scheduled hours per patient this week against their target and the program's band."""
    user = request.user
    week_start = week_of(_date(request.GET.get("week"), timezone.localdate()))
    programs = {str(p.pk): p for p in Program.objects.filter(organization_id=user.organization_id, active=True)}
    program = programs.get(request.GET.get("program", ""))
    rows = queries.weekly_dose(user, week_start, program=program)
    audit.record_many(user=user, action=Action.LIST, patients=[r.patient for r in rows],
                      detail={"list": "weekly hours", "week": week_start.isoformat()})
    url = reverse("clinic:schedule_dose")
    extra = {"program": program.pk} if program else {}
    return render(request, "clinic/schedule/dose.html", {
        "rows": rows, "under": [r for r in rows if r.under_band], "week_start": week_start,
        "week_end": week_start + dt.timedelta(days=6), "programs": programs, "program": program,
        "previous": f"{url}?{urlencode(extra | {'week': (week_start - dt.timedelta(days=7)).isoformat()})}",
        "following": f"{url}?{urlencode(extra | {'week': (week_start + dt.timedelta(days=7)).isoformat()})}",
        **_flags(user),
    })


# 6. The weekly solver ------------------------------------------------------------------------------------


def _start_solve(user, week_start, *, repair_patients=None):
    """Queue a solver run (openiop.scheduling.tasks; under tests it runs at once): the whole
    week, or a repair for `repair_patients` only."""
    from openiop.scheduling import tasks

    return tasks.start_solve(user.organization, week_start, by=user,
                             repair_patients=list(repair_patients) if repair_patients else None)


@staff_only
def solve(request):
    """"Build the week": a full solver run for a week, and the recent runs."""
    user = request.user
    if user.role not in SOLVE_ROLES:
        raise Http404("Not found")
    default_week = week_of(timezone.localdate() + dt.timedelta(days=7))
    form = SolveForm(request.POST if request.method == "POST" else None, initial={"week": default_week})
    if request.method == "POST" and form.is_valid():
        run = _start_solve(user, week_of(form.cleaned_data["week"]))
        return redirect("clinic:schedule_solve_run", run_id=run.pk)
    runs = SolveRun.objects.filter(organization_id=user.organization_id).select_related("requested_by")[:RECENT_RUNS]
    return render(request, "clinic/schedule/solve.html", {
        "form": form, "runs": runs, **_flags(user)}, status=400 if form.is_bound else 200)


def _count(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, (list, tuple, dict)):
        return len(value)
    return None


def _result(user, run) -> dict:
    """The run's result, read defensively: counts, seconds and the unmet patients with reasons
    (named only when the user may see them)."""
    result = run.result if isinstance(run.result, dict) else {}
    unmet_raw = result.get("unmet") if isinstance(result.get("unmet"), dict) else {}
    found = {p.mrn: p for p in Patient.objects.visible_to(user).filter(mrn__in=[str(k) for k in unmet_raw])}
    unmet = []
    for mrn, reasons in unmet_raw.items():
        if isinstance(reasons, str):
            reasons = [reasons]
        elif not isinstance(reasons, (list, tuple)):
            reasons = []
        unmet.append({"patient": found.get(str(mrn)), "reasons": [str(r) for r in reasons]})
    unmet.sort(key=lambda u: (u["patient"] is None, u["patient"].legal_last_name if u["patient"] else ""))
    seconds = result.get("seconds")
    changes = [(label, result.get(key)) for key, label in (
        ("sessions_created", "Sessions added"), ("sessions_removed", "Sessions removed"),
        ("attendees_added", "Patients placed in sessions"), ("memberships_created", "Joined a group series"))
        if isinstance(result.get(key), int) and not isinstance(result.get(key), bool)]
    return {
        "changes": changes,
        "patients": _count(result.get("patients")), "meeting_plan": _count(result.get("meeting_plan")),
        "unmet": unmet, "seconds": seconds if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) else None,
    }


@shows_patient_data(roles=SOLVE_ROLES, needs_visibility=False)
def solve_run(request, run_id):
    """A run's progress (refreshed every 2 seconds while it runs) and its result: how many
    patients meet their plan, and for each who does not, why, in plain words."""
    user = request.user
    run = (SolveRun.objects.filter(organization_id=user.organization_id, pk=run_id)
           .select_related("requested_by").prefetch_related("patients").first())
    if run is None:
        raise Http404("No such run")
    running = run.status in (SolveStatus.QUEUED, SolveStatus.RUNNING)
    result = _result(user, run) if run.status == SolveStatus.DONE else None
    shown = [u["patient"] for u in result["unmet"] if u["patient"] is not None] if result else []
    repaired = list(Patient.objects.visible_to(user).filter(pk__in=[p.pk for p in run.patients.all()]))
    audit.record_many(user=user, action=Action.LIST, patients=list({p.pk: p for p in shown + repaired}.values()),
                      detail={"list": "solver result", "run": run.pk})
    context = {"run": run, "running": running, "result": result, "repaired": repaired, **_flags(user)}
    if request.htmx:
        return render(request, "clinic/schedule/_solve_status.html", context)
    return render(request, "clinic/schedule/solve_run.html", context)
