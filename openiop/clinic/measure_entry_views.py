"""Staff screens where measure answers are given: typing in a paper form, and handing a
clinic tablet to the patient (the kiosk, openiop/portal/kiosk.py).

Who may do what, decided here once:
- Paper entry: the clinical roles (clinicians, prescribers, directors). Entering answers is
  writing clinical content, and a safety answer must be understood by the person typing it.
- Starting a tablet check-in: the clinical roles and the front desk, who usually hand the
  tablet over at arrival. Starting one shows no clinical content (only how many check-ins
  are due); intake, billing, privacy and administrators cannot.
"""

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path, reverse

from openiop.accounts.enums import Role
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.clinic.access import shows_patient_data, visible_patient_or_404
from openiop.measures import queries, services
from openiop.measures.forms import AnsweredOnForm, AnswersForm, InstrumentChoiceForm
from openiop.measures.models import Administration, Mode
from openiop.measures.scoring import AnswerError
from openiop.portal import kiosk

PAPER_ENTRY_ROLES = frozenset({Role.CLINICIAN, Role.PRESCRIBER, Role.DIRECTOR})
KIOSK_ROLES = frozenset({Role.CLINICIAN, Role.PRESCRIBER, Role.DIRECTOR, Role.FRONT_DESK})
ENTER_BUTTONS = [("save", "Save the answers", "")]


def measures_page(mrn: str) -> str:
    # The patient's measures page (clinic/measure_views.py, the review screens).
    return reverse("clinic:patient_measures", kwargs={"mrn": mrn})


@shows_patient_data(roles=PAPER_ENTRY_ROLES)
def enter_paper(request, mrn):
    """Type in a paper form: choose the questionnaire, then the date and the answers."""
    user = request.user
    patient = visible_patient_or_404(request, mrn, page="measures entry")
    library = queries.available_instruments(patient.organization_id)
    source = request.POST if request.method == "POST" else request.GET
    choice = InstrumentChoiceForm(source if "instrument" in source else None, instruments=library)
    instrument = library[choice.cleaned_data["instrument"]] if choice.is_bound and choice.is_valid() else None
    context = {"patient": patient, "choice": choice, "instrument": instrument}
    if instrument is None:
        audit.record(user=user, action=Action.VIEW, patient=patient, detail={"page": "enter paper measure"})
        return render(request, "clinic/measures/entry_choose.html", context)
    if request.method != "POST":
        audit.record(user=user, action=Action.VIEW, patient=patient,
                     detail={"page": "enter paper measure", "instrument": instrument.code})
        return render(request, "clinic/measures/entry.html", context | {
            "form": AnswersForm(instrument=instrument), "date_forms": [AnsweredOnForm()],
            "buttons": ENTER_BUTTONS, "hidden": [("instrument", instrument.code)],
        })
    form = AnswersForm(request.POST, instrument=instrument)
    date_form = AnsweredOnForm(request.POST)
    if form.is_valid() and date_form.is_valid():
        try:
            administration = services.record_answers(
                actor=user, patient=patient, instrument_code=instrument.code, answers=form.answers(),
                mode=Mode.PAPER, answered_on=date_form.cleaned_data["answered_on"],
            )
        except AnswerError as error:
            form.add_answer_errors(error.errors)
        except ValidationError as error:
            _add_date_errors(date_form, error)
        else:
            return _saved(request, patient, administration)
    return render(request, "clinic/measures/entry.html", context | {
        "form": form, "date_forms": [date_form], "buttons": ENTER_BUTTONS,
        "hidden": [("instrument", instrument.code)],
    })


@shows_patient_data(roles=PAPER_ENTRY_ROLES)
def enter_due(request, mrn, administration_id):
    """Type in the paper answers of one due (or started) administration."""
    user = request.user
    patient = visible_patient_or_404(request, mrn, page="measures entry")
    administration = (
        Administration.objects.visible_to(user).filter(pk=administration_id, patient=patient).select_related("patient").first()
    )
    if administration is None or not administration.is_open:
        # Completed meanwhile (e.g. on the portal), or not this patient's: enter a new one.
        messages.info(request, "That measure is not open for answers; choose the questionnaire to enter instead.")
        return redirect("clinic:measure_enter", mrn=mrn)
    instrument = services.instrument_of(administration)
    context = {"patient": patient, "instrument": instrument, "administration": administration,
               "buttons": ENTER_BUTTONS}
    if request.method != "POST":
        audit.record(user=user, action=Action.VIEW, patient=patient, obj=administration,
                     detail={"page": "enter paper measure"})
        return render(request, "clinic/measures/entry.html", context | {
            "form": AnswersForm(instrument=instrument, saved=administration.answers), "date_forms": [AnsweredOnForm()],
        })
    form = AnswersForm.with_saved(request.POST, instrument=instrument, saved=administration.answers)
    date_form = AnsweredOnForm(request.POST)
    if form.is_valid() and date_form.is_valid():
        try:
            administration = services.complete_administration(
                actor=user, administration=administration, answers=form.answers(), mode=Mode.PAPER,
                answered_on=date_form.cleaned_data["answered_on"],
            )
        except AnswerError as error:
            form.add_answer_errors(error.errors)
        except ValidationError as error:
            # E.g. the patient finished it on the portal meanwhile: keep what was typed on screen.
            _add_date_errors(date_form, error)
        else:
            return _saved(request, patient, administration)
    return render(request, "clinic/measures/entry.html", context | {"form": form, "date_forms": [date_form]})


def _add_date_errors(date_form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            date_form.add_error(field if field in date_form.fields else None, errors)
    else:
        date_form.add_error(None, error.messages)


def _saved(request, patient, administration):
    text = (f"{administration.instrument_code} from paper (filled in {administration.answered_on:%Y-%m-%d}) saved: "
            f"total {administration.total}" + (f", {administration.severity}" if administration.severity else "")
            + f". Recorded as entered from paper by {request.user.display_name}.")
    messages.success(request, text)
    if administration.has_safety_flag:
        messages.warning(request, "A safety question was answered: an urgent same-day safety task was created "
                                  "for the primary clinician and the on-call clinician.")
    return redirect(measures_page(patient.mrn))


@shows_patient_data(roles=KIOSK_ROLES)
def start_kiosk(request, mrn):
    """Hand this tablet to the patient. GET explains what will happen; POST starts it,
    signs the staff member out of this browser and opens the check-in."""
    user = request.user
    patient = visible_patient_or_404(request, mrn, page="measures entry")
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    due_count = queries.due_for_patient(patient).count()
    if request.method == "POST":
        try:
            session = services.start_kiosk(actor=user, patient=patient)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            # The patient must never hold a signed-in staff session: sign out first, then put
            # only the kiosk session's id in the fresh, anonymous session.
            logout(request)
            kiosk.begin(request, session)
            return redirect("kiosk:home")
    audit.record(user=user, action=Action.VIEW, patient=patient, detail={"page": "start kiosk"})
    return render(request, "clinic/measures/kiosk_start.html", {"patient": patient, "due_count": due_count, "kiosk_minutes": services.KIOSK_MINUTES})


urlpatterns = [
    path("patients/<str:mrn>/measures/enter/", enter_paper, name="measure_enter"),
    path("patients/<str:mrn>/measures/<int:administration_id>/enter/", enter_due, name="measure_enter_due"),
    path("patients/<str:mrn>/measures/kiosk/", start_kiosk, name="measure_kiosk"),
]
