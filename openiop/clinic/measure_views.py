"""The clinic's measure screens: who has measures due, one patient's trends, one answered
form, a printable trend, program outcomes and program schedules.

Scores are clinical content: only the roles that see a chart's clinical section (clinicians,
prescribers, the clinical director) open these pages; front desk and billing get 404, as does
anyone who cannot see the patient. Views read through `openiop.measures.queries` and write
through `openiop.measures.services`; every page that shows patient data is audited.
(The answering screens, paper entry and the kiosk, are in another module.)
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from openiop.accounts.enums import TREATING_ROLES, Role
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.care.models import EpisodeOfCare
from openiop.clinic.access import shows_patient_data, staff_only, visible_patient_or_404
from openiop.clinic.assessment_views import add_service_errors
from openiop.clinic.measure_forms import (
    AddMeasureForm,
    CadenceForm,
    EnteredInErrorForm,
    ScheduleRowForm,
    schedule_row_initial,
)
from openiop.measures import queries
from openiop.measures import services as measures
from openiop.measures.charts import ChartBand, ChartPoint, trend_chart
from openiop.measures.instruments import normalize_code
from openiop.measures.models import Administration, Mode, PatientSchedule, Status
from openiop.measures.scoring import NO_RELIABLE_CHANGE
from openiop.privacy.labels import PART2_SHORT_NOTICE
from openiop.programs.models import Program

# Scores are clinical content (patients/rules.py): the roles whose chart shows the clinical section.
MEASURE_ROLES = frozenset({Role.DIRECTOR, *TREATING_ROLES})
OUTCOME_ROLES = frozenset({Role.DIRECTOR})
SCHEDULE_ROLES = frozenset({Role.DIRECTOR, Role.ADMIN})
DUE_PAGE_SIZE = 100


# Shared helpers ----------------------------------------------------------------------------------


def _patient_or_404(request, mrn, *, page):
    return visible_patient_or_404(request, mrn, page=page)


def _current_episode(user, patient):
    return (
        EpisodeOfCare.objects.visible_to(user)
        .filter(patient=patient, status__in=queries.CURRENT_STATUSES)
        .select_related("program")
        .order_by("-admitted_on", "-id")
        .first()
    )


def flag_labels(instrument, sex: str = "") -> dict[str, str]:
    """What each flag an instrument can raise means, in words (the sex-specific cut-off first)."""
    labels = {}
    sex = (sex or "").strip().lower()[:1]
    for cutoff in sorted(instrument.cutoffs, key=lambda c: c.sex[:1] != sex):
        labels.setdefault(cutoff.flag, cutoff.label)
    for item in instrument.safety_items:
        labels[item.flag] = item.message
    return labels


def mode_text(administration) -> str:
    """How the answers reached the record, in a sentence."""
    entered_by = administration.entered_by.display_name if administration.entered_by_id else "staff"
    if administration.mode == Mode.PAPER:
        return f"Entered from paper by {entered_by}"
    if administration.mode == Mode.PORTAL:
        return "Answered on the portal"
    if administration.mode == Mode.KIOSK:
        return "Answered on a clinic tablet (kiosk)"
    if administration.mode == Mode.INTERVIEW:
        return f"Asked in an interview by {entered_by}"
    if administration.mode == Mode.IMPORTED:
        system = administration.source_system or "another system"
        if administration.source_reported_total is None:
            return f"Imported from {system} (the sender gave no total; ours {administration.total})"
        return (f"Imported from {system} (sender's total {administration.source_reported_total}, "
                f"ours {administration.total})")
    return "Not answered yet"


def _overdue_days(administration, today) -> int:
    return max((today - administration.due_on).days, 0) if administration.due_on else 0


# 1. The due list ---------------------------------------------------------------------------------


@dataclass
class DueRow:
    administration: Administration
    overdue_days: int


@shows_patient_data(roles=MEASURE_ROLES, needs_visibility=False)
def due_list(request):
    """Measures due or overdue: the clinician's care-team patients, or (for the director, or a
    clinician who asks) everyone due in the programs the user can see."""
    user = request.user
    today = timezone.localdate()
    programs_wide = user.role == Role.DIRECTOR or request.GET.get("scope") == "programs"
    due = queries.due_in_programs(user) if programs_wide else queries.due_for_clinician(user)
    page = Paginator(due, DUE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [DueRow(administration=a, overdue_days=_overdue_days(a, today)) for a in page.object_list]
    audit.record_many(
        user=user, action=Action.LIST, patients=list({a.patient_id: a.patient for a in page.object_list}.values()),
        detail={"list": "measures due", "scope": "programs" if programs_wide else "care teams"},
    )
    return render(request, "clinic/measures/due.html", {
        "page": page, "rows": rows, "programs_wide": programs_wide, "today": today,
    })


# 2. One patient's measures -----------------------------------------------------------------------


@dataclass
class TrendView:
    """A trend with what the page shows beside it: the chart, the flags in words and the cadence."""

    trend: queries.Trend
    chart: str
    flags: list[tuple[str, str, bool]]  # (flag, meaning, is_safety)
    cadence: str


def trend_views(trends, *, patient, program_schedule: dict, overrides: dict) -> list[TrendView]:
    views = []
    for trend in trends:
        instrument = trend.instrument
        points = [
            ChartPoint(
                day=point.day, score=point.total,
                marker=point.change.direction if point.change and point.change.direction != NO_RELIABLE_CHANGE else "",
                label=f"{point.day:%Y-%m-%d}: {point.total} ({point.severity})" if point.severity
                else f"{point.day:%Y-%m-%d}: {point.total}",
            )
            for point in trend.points if point.day is not None and point.total is not None
        ]
        chart = trend_chart(
            title=f"{instrument.code} scores over time",
            points=points,
            bands=[ChartBand(low=band.low, high=band.high, label=band.label) for band in instrument.bands],
            max_score=max(instrument.max_total, 1),
            baseline=trend.baseline.total if trend.baseline else None,
            higher_is_better=instrument.higher_is_better,
            chart_id=f"chart-{instrument.slug}",
        )
        labels = flag_labels(instrument, patient.sex_assigned_at_birth)
        latest = trend.latest.administration if trend.latest else None
        safety = set(latest.safety_flags) if latest else set()
        flags = [(flag, labels.get(flag, flag.replace("_", " ")), flag in safety) for flag in (latest.flags if latest else [])]
        views.append(TrendView(
            trend=trend, chart=chart, flags=flags,
            cadence=_cadence_text(normalize_code(instrument.code), program_schedule, overrides),
        ))
    return views


def _cadence_text(code: str, program_schedule: dict, overrides: dict) -> str:
    override = overrides.get(code)
    if override is not None:
        how = f"every {override.every_days} days" if override.every_days else "not asked routinely"
        return (f"For this patient: {how} (set {override.set_at:%Y-%m-%d} by "
                f"{override.set_by.display_name}: “{override.reason}”).")
    schedule = program_schedule.get(code)
    if schedule is None:
        return "Not on the program's schedule; asked when added."
    return f"Program schedule: every {schedule.every_days} days." if schedule.every_days else (
        "Program schedule: at admission and discharge only.")


def _patient_measures_context(request, patient, *, add_form=None, cadence_form=None) -> dict:
    user = request.user
    trends = queries.trends_for_patient(user, patient)
    library = queries.available_instruments(patient.organization_id)
    episode = _current_episode(user, patient)
    program_schedule, overrides = {}, {}
    if episode is not None:
        program_schedule = {normalize_code(s.instrument_code): s for s in measures.schedules_for(episode.program)}
        for row in (PatientSchedule.objects.visible_to(user).filter(episode=episode)
                    .select_related("set_by").order_by("set_at", "id")):
            overrides[normalize_code(row.instrument_code)] = row
    withdrawn = list(
        Administration.objects.visible_to(user).filter(patient=patient, status=Status.ENTERED_IN_ERROR)
        .order_by("-marked_in_error_at")
    )
    return {
        "patient": patient,
        "episode": episode,
        "trends": trend_views(trends, patient=patient, program_schedule=program_schedule, overrides=overrides),
        "withdrawn": withdrawn,
        "add_form": add_form or AddMeasureForm(instruments=library),
        "cadence_form": cadence_form or CadenceForm(instruments=library),
    }


@shows_patient_data(roles=MEASURE_ROLES)
def patient_measures(request, mrn):
    patient = _patient_or_404(request, mrn, page="measures")
    context = _patient_measures_context(request, patient)
    audit.record(user=request.user, action=Action.VIEW, patient=patient, detail={"page": "measures"})
    return render(request, "clinic/measures/patient.html", context)


def _render_patient_measures_with_errors(request, patient, **forms):
    """The measures page again, with the form that failed bound to what was typed."""
    audit.record(user=request.user, action=Action.VIEW, patient=patient, detail={"page": "measures"})
    return render(request, "clinic/measures/patient.html",
                  _patient_measures_context(request, patient, **forms), status=400)


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=MEASURE_ROLES)
def add_measure(request, mrn):
    """Ask an instrument outside the schedule. GET goes back to the measures page."""
    patient = _patient_or_404(request, mrn, page="measures")
    if request.method == "GET":
        return redirect("clinic:patient_measures", mrn=mrn)
    form = AddMeasureForm(request.POST, instruments=queries.available_instruments(patient.organization_id))
    if form.is_valid():
        try:
            administration = measures.add_measure(
                actor=request.user, patient=patient, instrument_code=form.cleaned_data["instrument"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{administration.instrument_code} added: it is due today.")
            return redirect("clinic:patient_measures", mrn=mrn)
    return _render_patient_measures_with_errors(request, patient, add_form=form)


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=MEASURE_ROLES)
def change_cadence(request, mrn):
    """Change how often this patient is asked one instrument, with a reason."""
    user = request.user
    patient = _patient_or_404(request, mrn, page="measures")
    if request.method == "GET":
        return redirect("clinic:patient_measures", mrn=mrn)
    form = CadenceForm(request.POST, instruments=queries.available_instruments(patient.organization_id))
    episode = _current_episode(user, patient)
    if episode is None:
        form.add_error(None, "This patient is not in a program now, so there is no schedule to change.")
    elif form.is_valid():
        try:
            measures.set_patient_schedule(
                actor=user, episode=episode, instrument_code=form.cleaned_data["instrument"],
                every_days=form.cleaned_data["every_days"], reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            every = form.cleaned_data["every_days"]
            how = f"every {every} days" if every else "no longer routinely"
            messages.success(request, f"{form.cleaned_data['instrument']} will be asked {how} for this patient.")
            return redirect("clinic:patient_measures", mrn=mrn)
    return _render_patient_measures_with_errors(request, patient, cadence_form=form)


@shows_patient_data(roles=MEASURE_ROLES)
def patient_measures_summary(request, mrn):
    """The latest score per instrument, loaded into the chart's Measures section by htmx.
    Without htmx (or JavaScript) the chart links to the full measures page instead."""
    patient = _patient_or_404(request, mrn, page="measures summary")
    if not request.htmx:
        return redirect("clinic:patient_measures", mrn=mrn)
    trends = queries.trends_for_patient(request.user, patient)
    audit.record(user=request.user, action=Action.VIEW, patient=patient, detail={"page": "measures summary"})
    return render(request, "clinic/measures/_summary.html", {"patient": patient, "trends": trends})


# 3. One administration ---------------------------------------------------------------------------


@dataclass
class AnswerRow:
    number: int
    text: str
    value: int | None
    label: str
    is_safety: bool


def answer_rows(instrument, administration) -> list[AnswerRow]:
    safety_items = {rule.link_id for rule in instrument.safety_items}
    rows = []
    for number, item in enumerate(instrument.items, start=1):
        value = administration.answers.get(item.link_id)
        option = item.option_for(value) if value is not None else None
        rows.append(AnswerRow(
            number=number, text=item.text, value=value,
            label=option.label if option else ("Not answered" if value is None else str(value)),
            is_safety=item.link_id in safety_items and value is not None and value > 0,
        ))
    return rows


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=MEASURE_ROLES)
def administration_detail(request, mrn, administration_id):
    """Every answer of one administration; "mark as entered in error" with a reason."""
    user = request.user
    patient = _patient_or_404(request, mrn, page="measure")
    administration = (
        Administration.objects.visible_to(user).filter(patient=patient, pk=administration_id)
        .select_related("entered_by", "marked_in_error_by", "episode__program").first()
    )
    if administration is None:
        raise Http404("No such measure")
    form = EnteredInErrorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            measures.mark_entered_in_error(actor=user, administration=administration,
                                           reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"This {administration.instrument_code} is marked as entered in error. "
                                      "It stays in the record, struck through, and leaves the trends.")
            return redirect("clinic:measure_detail", mrn=mrn, administration_id=administration.pk)
    instrument = queries.instrument_for(administration.instrument_code, patient.organization_id)
    if instrument is None:
        raise Http404("Unknown instrument")
    audit.record(user=user, action=Action.VIEW, patient=patient, obj=administration, detail={"page": "measure"})
    labels = flag_labels(instrument, patient.sex_assigned_at_birth)
    return render(request, "clinic/measures/detail.html", {
        "patient": patient,
        "administration": administration,
        "instrument": instrument,
        "answers": answer_rows(instrument, administration),
        "flags": [(flag, labels.get(flag, flag.replace("_", " ")), flag in administration.safety_flags)
                  for flag in administration.flags],
        "mode_text": mode_text(administration),
        "totals_differ": administration.source_reported_total is not None
        and administration.source_reported_total != administration.total,
        "form": form,
    }, status=400 if form.errors else 200)


# 4. Printable trend ------------------------------------------------------------------------------


@shows_patient_data(roles=MEASURE_ROLES)
def print_trend(request, mrn, code):
    user = request.user
    patient = _patient_or_404(request, mrn, page="measures print")
    trends = queries.trends_for_patient(user, patient)
    wanted = [t for t in trends if normalize_code(t.instrument.code) == normalize_code(code)]
    if not wanted:
        raise Http404("No scores for this instrument")
    view = trend_views(wanted, patient=patient, program_schedule={}, overrides={})[0]
    is_part2 = any(point.administration.is_part2 for point in view.trend.points)
    # Printing takes the record off the screen, so it is recorded as an export, not a view.
    audit.record(user=user, action=Action.EXPORT, patient=patient,
                 detail={"page": "measures print", "instrument": view.trend.instrument.code, "format": "print"})
    return render(request, "clinic/measures/print.html", {
        "patient": patient, "view": view, "printed_at": timezone.localtime(),
        "is_part2": is_part2, "part2_notice": PART2_SHORT_NOTICE,
    })


# 5. Program outcomes -----------------------------------------------------------------------------


@dataclass
class OutcomeLine:
    """One row of the outcomes table with its shares already worked out."""

    row: queries.OutcomeRow

    @property
    def improved(self) -> str:
        return self.row.share(self.row.improved)

    @property
    def recovered(self) -> str:
        # Only patients at or above caseness at baseline can recover, so they are the denominator.
        return self.row.share(self.row.recovered, self.row.eligible_for_recovery)

    @property
    def deteriorated(self) -> str:
        return self.row.share(self.row.deteriorated)


@dataclass
class ProgramOutcomes:
    program: Program
    rows: list[OutcomeLine]


@shows_patient_data(roles=OUTCOME_ROLES, needs_visibility=False)
def outcomes(request):
    """Reliable improvement, recovery and deterioration per program, at discharge and follow-up.
    Counts only: no patient is named, so it is audited as one report view."""
    user = request.user
    rows = queries.program_outcomes(user)
    by_program: dict[int, ProgramOutcomes] = {}
    for row in rows:
        by_program.setdefault(row.program.pk, ProgramOutcomes(program=row.program, rows=[])).rows.append(OutcomeLine(row))
    instruments = list({row.instrument.code: row.instrument for row in rows}.values())
    if not instruments:
        library = queries.available_instruments(user.organization_id)
        instruments = [library[code] for code in ("PHQ-9", "GAD-7") if code in library]
    audit.record(user=user, action=Action.LIST, detail={
        "report": "program outcomes", "aggregate": True,
        "programs": [group.program.code for group in by_program.values()],
        "episodes_counted": sum(row.patients for row in rows),
    })
    return render(request, "clinic/measures/outcomes.html", {
        "programs": list(by_program.values()), "instruments": instruments,
        "schedule_programs": Program.objects.filter(organization_id=user.organization_id, active=True),
    })


# 6. Program measurement schedules ----------------------------------------------------------------


def _schedule_user_or_404(request):
    if request.user.role not in SCHEDULE_ROLES:
        raise Http404("Not found")


@staff_only
def schedule_programs(request):
    """The programs whose measurement schedule the director or administrator can change."""
    _schedule_user_or_404(request)
    programs = Program.objects.filter(organization_id=request.user.organization_id).select_related("site")
    return render(request, "clinic/measures/schedule_programs.html", {"programs": programs})


def schedule_forms(program, data=None) -> list[ScheduleRowForm]:
    """One form per instrument: the program's schedule (or the defaults) first, then the rest
    of the library switched off, so an instrument can be added to the schedule."""
    library = queries.available_instruments(program.organization_id)
    rows = {normalize_code(row.instrument_code): row for row in program.measure_schedules.all()}
    shown = rows or {normalize_code(s.instrument_code): s for s in measures.schedules_for(program)}
    forms = []
    for code, instrument in library.items():
        schedule = shown.get(normalize_code(code))
        initial = schedule_row_initial(schedule) if schedule else {
            "at_admission": False, "at_discharge": False, "follow_up_days": "", "review_after_weeks": 4,
            "active": False,
        }
        form = ScheduleRowForm(data, instrument=instrument, initial=initial)
        form.scheduled = schedule is not None
        form.saved = normalize_code(code) in rows
        forms.append(form)
    forms.sort(key=lambda f: not f.scheduled)
    return forms


@require_http_methods(["GET", "POST"])
@staff_only
def program_schedule(request, code):
    _schedule_user_or_404(request)
    program = Program.objects.filter(organization_id=request.user.organization_id, code=code).first()
    if program is None:
        raise Http404("No such program")
    forms = schedule_forms(program, request.POST if request.method == "POST" else None)
    if request.method == "POST" and all(form.is_valid() for form in forms):
        saved = measures.save_program_schedule(
            actor=request.user, program=program,
            rows={form.instrument.code: form.cleaned_data for form in forms},
            keep={form.instrument.code for form in forms if form.scheduled},
        )
        messages.success(request, f"Measurement schedule of {program.name} saved ({len(saved)} "
                                  f"instrument{'s' if len(saved) != 1 else ''} changed).")
        return redirect("clinic:program_schedule", code=program.code)
    errors = [item for form in forms for item in form.error_summary]
    return render(request, "clinic/measures/schedule.html", {
        "program": program, "forms": forms, "errors": errors,
        "uses_defaults": not any(form.saved for form in forms),
    }, status=400 if errors else 200)
