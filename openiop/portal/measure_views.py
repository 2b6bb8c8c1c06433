"""The patient's check-ins (questionnaires) and progress in the portal.

Only the patient answers and sees their own measures; family members never do, even with
portal consent (what a patient reports about their mood is theirs to share in person).
Reads go through `visible_to`, writes through openiop.measures.services.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from openiop.accounts.enums import Role
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.clinic.access import shows_patient_data
from openiop.measures import queries, services
from openiop.measures.charts import ChartBand, ChartPoint, trend_chart
from openiop.measures.forms import AnswersForm, plain_name
from openiop.measures.models import Administration, Mode
from openiop.measures.scoring import (
    RELIABLE_DETERIORATION,
    RELIABLE_IMPROVEMENT,
    AnswerError,
)
from openiop.patients.models import Patient

PATIENT_ONLY = (Role.PATIENT,)
SEND, SAVE = "send", "save"
PORTAL_BUTTONS = [(SEND, "Send my answers", ""), (SAVE, "Save and finish later", "button-secondary")]


def _own_patient(user) -> Patient:
    patient = Patient.objects.visible_to(user).select_related("organization").first()
    if patient is None:
        raise Http404("No record")
    return patient


def _own_administration(user, administration_id) -> Administration:
    """The patient's own administration, or 404 (someone else's looks exactly like none)."""
    administration = (
        Administration.objects.visible_to(user)
        .filter(pk=administration_id, patient_id=user.patient_id)
        .select_related("patient", "episode__program__site", "patient__organization")
        .first()
    )
    if administration is None:
        raise Http404("No such check-in")
    return administration


def care_team_phone(administration_or_episode, organization) -> str:
    """The program's phone (its site's), else the organization's main number."""
    episode = getattr(administration_or_episode, "episode", administration_or_episode)
    site_phone = episode.program.site.phone if episode is not None else ""
    return site_phone or organization.phone


@shows_patient_data(roles=PATIENT_ONLY, needs_visibility=False, audience="portal")
def check_in_list(request):
    user = request.user
    patient = _own_patient(user)
    due = list(queries.due_for_patient(patient).select_related("patient"))
    library = queries.available_instruments(patient.organization_id)
    rows = [{"administration": a, "name": _name(library, a)} for a in due]
    audit.record_many_records(user=user, action=Action.LIST, records=due, detail={"page": "portal check-ins"})
    if not due:
        audit.record(user=user, action=Action.VIEW, patient=patient, detail={"page": "portal check-ins"})
    return render(request, "portal/measures/list.html", {"patient": patient, "rows": rows})


def _name(library, administration) -> str:
    instrument = library.get(administration.instrument_code)
    return plain_name(instrument) if instrument else administration.instrument_code


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=PATIENT_ONLY, audience="portal")
def answer(request, administration_id):
    user = request.user
    administration = _own_administration(user, administration_id)
    if not administration.is_open:
        messages.info(request, "You have already sent this check-in. Thank you.")
        return redirect("portal:check_ins")
    instrument = services.instrument_of(administration)
    form = AnswersForm(instrument=instrument, saved=administration.answers)
    safety_alerted = False
    if request.method == "POST":
        form = AnswersForm.with_saved(request.POST, instrument=instrument, saved=administration.answers)
        if form.is_valid():
            action = request.POST.get("action")
            try:
                if action == SAVE:
                    saved = services.save_answers(actor=user, administration=administration,
                                                  answers=form.answers(), mode=Mode.PORTAL)
                    messages.success(request, "Your answers are saved. You can finish this check-in any time.")
                    if saved.has_safety_flag:
                        return _safety_page(request, saved, instrument)
                    return redirect("portal:check_ins")
                services.complete_administration(actor=user, administration=administration,
                                                 answers=form.answers(), mode=Mode.PORTAL)
            except AnswerError as error:
                form.add_answer_errors(error.errors)
                administration.refresh_from_db()
                safety_alerted = administration.has_safety_flag
            except ValidationError:
                messages.info(request, "You have already sent this check-in. Thank you.")
                return redirect("portal:check_ins")
            else:
                return redirect("portal:check_in_sent", administration_id=administration.pk)
    else:
        audit.record(user=user, action=Action.VIEW, patient=administration.patient, obj=administration,
                     detail={"page": "portal check-in"})
    return render(request, "portal/measures/answer.html", {
        "administration": administration, "form": form, "name": plain_name(instrument),
        "buttons": PORTAL_BUTTONS, "safety_alerted": safety_alerted,
        "phone": care_team_phone(administration.episode, administration.patient.organization),
    })


def _safety_page(request, administration, instrument):
    """Crisis help, shown as soon as a safety answer is saved, sent or not."""
    return render(request, "portal/measures/safety.html", {
        "administration": administration, "instrument": instrument, "name": plain_name(instrument),
        "phone": care_team_phone(administration.episode, administration.patient.organization),
        "more_due": queries.due_for_patient(administration.patient).exists(),
    })


@shows_patient_data(roles=PATIENT_ONLY, audience="portal")
def sent(request, administration_id):
    """After sending: crisis help first when a safety question was answered, else thanks."""
    user = request.user
    administration = _own_administration(user, administration_id)
    if not administration.is_completed:
        return redirect("portal:check_in", administration_id=administration.pk)
    instrument = services.instrument_of(administration)
    audit.record(user=user, action=Action.VIEW, patient=administration.patient, obj=administration,
                 detail={"page": "portal check-in sent"})
    context = {
        "administration": administration, "instrument": instrument, "name": plain_name(instrument),
        "phone": care_team_phone(administration.episode, administration.patient.organization),
        "more_due": queries.due_for_patient(administration.patient).exists(),
    }
    if administration.has_safety_flag:
        return render(request, "portal/measures/safety.html", context)
    return render(request, "portal/measures/thanks.html", context)


@shows_patient_data(roles=PATIENT_ONLY, needs_visibility=False, audience="portal")
def progress(request):
    user = request.user
    patient = _own_patient(user)
    trends = [trend for trend in queries.trends_for_patient(user, patient) if trend.points]
    audit.record(user=user, action=Action.VIEW, patient=patient,
                 detail={"page": "portal progress", "instruments": [t.instrument.code for t in trends]})
    return render(request, "portal/measures/progress.html", {
        "patient": patient, "trends": [progress_view(trend, index) for index, trend in enumerate(trends)],
    })


PLAIN_CHANGE = {
    RELIABLE_IMPROVEMENT: "Better than when you started, by more than the usual ups and downs",
    RELIABLE_DETERIORATION: "Harder than when you started, by more than the usual ups and downs",
}


def plain_change(change) -> str:
    if change is None:
        return ""
    return PLAIN_CHANGE.get(change.direction, "About the same as when you started")


def progress_view(trend, index: int) -> dict:
    """What the progress page shows for one instrument: the chart, and the same as a table."""
    instrument = trend.instrument
    name = plain_name(instrument)
    rows, points = [], []
    for point in trend.points:
        meaning = point.severity or ""
        if point is trend.baseline:
            meaning = f"{meaning} (your starting point)" if meaning else "Your starting point"
        elif point.change is not None:
            meaning = f"{meaning}. {plain_change(point.change)}" if meaning else plain_change(point.change)
        rows.append({"day": point.day, "total": point.total, "meaning": meaning})
        marker = point.change.direction if point.change and point.change.direction in (
            RELIABLE_IMPROVEMENT, RELIABLE_DETERIORATION) else ""
        points.append(ChartPoint(day=point.day, score=point.total, marker=marker,
                                 label=f"{point.day:%d %b %Y}: {point.total}" + (f" ({point.severity})" if point.severity else "")))
    chart = trend_chart(
        title=f"{name}: your scores over time", points=points,
        bands=[ChartBand(low=band.low, high=band.high, label=band.label) for band in instrument.bands],
        max_score=max(instrument.max_total, 1), baseline=trend.baseline.total if trend.baseline else None,
        higher_is_better=instrument.higher_is_better, width=640, height=260, chart_id=f"trend-{index}",
    )
    return {
        "trend": trend, "name": name, "chart": chart, "rows": rows,
        "latest_change": plain_change(trend.latest_change),
        "threshold": instrument.reliable_change.points if instrument.reliable_change else None,
        "lower_is_better": not instrument.higher_is_better, "max_total": instrument.max_total,
    }
