"""Medications, reconciliation, prescriber visits, drug screens and the recovery date, for the
people who treat the patient (clinicians, prescribers and the director). Front desk and billing
see none of it (clinical content): they get 404.

Writes go through openiop.medical.services; reads through openiop.medical.queries
(`visible_to`); every page is audited. A form with errors comes back with status 400, what was
typed kept, and an error summary linking to each field.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from openiop.accounts.enums import Role
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.clinic.access import shows_patient_data, visible_patient_or_404
from openiop.clinic.assessment_views import add_service_errors
from openiop.clinic.medical_forms import (
    AdherenceForm,
    AmendForm,
    CancelForm,
    DoseChangeForm,
    DrugScreenForm,
    ErrorForm,
    MedicationForm,
    ReconcileForm,
    RecoveryDateForm,
    ResultsForm,
    StopForm,
)
from openiop.medical import queries, rules, services
from openiop.medical.models import Medication, ReconciliationKind, RecoverySource, ScreenStatus
from openiop.medical.rules import Interpretation

MEDICAL_ROLES = (Role.DIRECTOR, Role.CLINICIAN, Role.PRESCRIBER)
ROW_FORMS = {"stop": StopForm, "dose": DoseChangeForm, "adherence": AdherenceForm, "error": ErrorForm}
INTERPRETATION_BADGES = {
    Interpretation.EXPECTED_NEGATIVE: "badge-status",
    Interpretation.EXPECTED_POSITIVE: "badge-status",
    Interpretation.UNEXPECTED_POSITIVE: "badge-danger",
    Interpretation.UNEXPECTED_NEGATIVE: "badge-warn",
    Interpretation.NOT_INTERPRETABLE: "",
}
LEGEND = [
    (Interpretation.EXPECTED_NEGATIVE, "badge-status", "Nothing found, and nothing was expected."),
    (Interpretation.EXPECTED_POSITIVE, "badge-status",
     "Found, and a medication the patient takes explains it (named with the result)."),
    (Interpretation.UNEXPECTED_POSITIVE, "badge-danger",
     ("Found, and no medication on the list explains it. Presumptive until confirmed by a laboratory. "
     "Discuss with the patient.")),
    (Interpretation.UNEXPECTED_NEGATIVE, "badge-warn",
     ("A medication for opioid use disorder on the list was not found: possible missed doses. "
     "Discuss with the patient and the prescriber.")),
    (Interpretation.NOT_INTERPRETABLE, "",
     "Inconclusive, or a negative from a specimen that is not valid (dilute, adulterated)."),
]


# --- medications -----------------------------------------------------------------------------


def _medication_or_404(user, patient, medication_id) -> Medication:
    try:
        return Medication.objects.visible_to(user).get(pk=int(medication_id), patient=patient)
    except (Medication.DoesNotExist, TypeError, ValueError):
        raise Http404("No such medication") from None


def _row_forms(medication, *, bound=None):
    """The stop, dose-change, adherence and error forms of one row (the bound one if it failed)."""
    forms_ = {}
    for action, form_class in ROW_FORMS.items():
        prefix = f"m{medication.pk}-{action}"
        if bound is not None and bound.prefix == prefix:
            forms_[action] = bound
        else:
            initial = {"stopped_on": timezone.localdate(), "changed_on": timezone.localdate()}
            forms_[action] = form_class(prefix=prefix, initial=initial)
    return forms_


def _render_medications(request, patient, *, status=200, add_form=None, bound_row=None, recovery_form=None,
                        error_form=None):
    user = request.user
    medications = queries.medication_list(user, patient)
    rows = [{"medication": m, "forms": _row_forms(m, bound=bound_row) if m.is_active else
             {"adherence": None}, "open": bound_row is not None and bound_row.prefix.startswith(f"m{m.pk}-")}
            for m in medications]
    add_form = add_form or MedicationForm(organization=patient.organization,
                                          initial={"started_on": timezone.localdate()})
    recovery = queries.current_recovery_date(user, patient)
    recovery_form = recovery_form or RecoveryDateForm(
        initial={"recovery_date": recovery.recovery_date if recovery else None})
    audit.record(user=user, action=Action.VIEW, patient=patient, detail={"page": "medications"})
    return render(request, "clinic/medical/medications.html", {
        "patient": patient, "rows": rows, "add_form": add_form, "recovery": recovery,
        "recovery_form": recovery_form, "reconciliations": queries.reconciliation_status(user, patient),
        "visits": queries.prescriber_visits(user, patient),
        "errors": (error_form.error_summary if error_form is not None else []),
        "now": timezone.now(),
    }, status=status)


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=MEDICAL_ROLES)
def patient_medications(request, mrn):
    """The medication list (active, then stopped), with adding, stopping, dose changes,
    adherence notes, entered-in-error marks, prescriber visits, reconciliation and the
    patient's recovery date (recorded here only at the patient's request)."""
    patient = visible_patient_or_404(request, mrn, page="medications")
    if request.method == "GET":
        return _render_medications(request, patient)
    action = request.POST.get("action", "")
    user = request.user
    if action == "add":
        form = MedicationForm(request.POST, organization=patient.organization)
        if form.is_valid():
            data = form.cleaned_data
            try:
                medication = services.add_medication(
                    actor=user, patient=patient, name=data["name"], dose=data["dose"], route=data["route"],
                    frequency=data["frequency"], reason=data["reason"], moud=data["moud"],
                    otp_name=data["otp_name"], source=data["source"], prescriber=data["prescriber"],
                    prescriber_name=data["prescriber_name"], started_on=data["started_on"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"{medication.name} added to the medication list.")
                return redirect("clinic:patient_medications", mrn=mrn)
        return _render_medications(request, patient, status=400, add_form=form, error_form=form)
    if action == "recovery":
        form = RecoveryDateForm(request.POST)
        if form.is_valid():
            try:
                services.set_recovery_date(actor=user, patient=patient, date=form.cleaned_data["recovery_date"],
                                           source=RecoverySource.CLINIC, note=form.cleaned_data["note"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "The patient's recovery date is recorded as they asked.")
                return redirect("clinic:patient_medications", mrn=mrn)
        return _render_medications(request, patient, status=400, recovery_form=form, error_form=form)
    if action in ROW_FORMS:
        medication = _medication_or_404(user, patient, request.POST.get("row"))
        form = ROW_FORMS[action](request.POST, prefix=f"m{medication.pk}-{action}")
        if form.is_valid():
            try:
                message = _row_action(user, action, medication, form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, message)
                return redirect("clinic:patient_medications", mrn=mrn)
        return _render_medications(request, patient, status=400, bound_row=form, error_form=form)
    raise Http404("Unknown action")


def _row_action(user, action, medication, data) -> str:
    if action == "stop":
        services.stop_medication(actor=user, medication=medication, stopped_on=data["stopped_on"],
                                 reason=data["stop_reason"])
        return f"{medication.name} stopped."
    if action == "dose":
        services.change_dose(actor=user, medication=medication, dose=data["dose"], frequency=data["frequency"],
                             changed_on=data["changed_on"], reason=data["reason"])
        return f"{medication.name}: dose changed to {data['dose']} (the earlier dose is kept as stopped)."
    if action == "adherence":
        services.write_adherence_note(actor=user, medication=medication, adherence=data["adherence"],
                                      text=data["text"])
        return f"Adherence note added to {medication.name}."
    services.mark_medication_entered_in_error(actor=user, medication=medication, reason=data["error_reason"])
    return f"{medication.name} marked as entered in error (kept, crossed out)."


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=MEDICAL_ROLES)
def medication_reconcile(request, mrn):
    """Admission or discharge reconciliation: a decision for every current medication."""
    patient = visible_patient_or_404(request, mrn, page="medication reconciliation")
    user = request.user
    statuses = queries.reconciliation_status(user, patient)
    if not statuses:
        messages.info(request, "The patient has no episode of care to reconcile medications for.")
        return redirect("clinic:patient_medications", mrn=mrn)
    status_now = statuses[0]
    episode = status_now.episode
    kind = request.POST.get("kind") or request.GET.get("kind") or (
        ReconciliationKind.ADMISSION if status_now.admission is None else ReconciliationKind.DISCHARGE)
    if kind not in ReconciliationKind.values:
        raise Http404("Unknown reconciliation")
    done = status_now.admission if kind == ReconciliationKind.ADMISSION else status_now.discharge
    medications = services.medications_to_reconcile(episode, kind)
    form = ReconcileForm(request.POST or None, medications=medications)
    status = 200
    if request.method == "POST" and done is None:
        if form.is_valid():
            try:
                services.reconcile_medications(actor=user, episode=episode, kind=kind,
                                               decisions=form.decisions(), notes=form.cleaned_data["notes"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"{ReconciliationKind(kind).label} reconciliation recorded.")
                return redirect("clinic:patient_medications", mrn=mrn)
        status = 400
    audit.record(user=user, action=Action.VIEW, patient=patient,
                 detail={"page": "medication reconciliation", "kind": kind})
    return render(request, "clinic/medical/reconcile.html", {
        "patient": patient, "episode": episode, "kind": kind, "kind_label": ReconciliationKind(kind).label,
        "done": done, "form": form, "status_now": status_now,
    }, status=status)


# --- drug screens ----------------------------------------------------------------------------


def _badge(interpretation) -> str:
    return INTERPRETATION_BADGES.get(interpretation, "")


@shows_patient_data(roles=MEDICAL_ROLES)
def patient_drug_screens(request, mrn):
    patient = visible_patient_or_404(request, mrn, page="drug screens")
    user = request.user
    screens = queries.screens(user, patient)
    for screen in screens:
        for result in screen.results.all():
            result.badge = _badge(result.interpretation)
    audit.record(user=user, action=Action.VIEW, patient=patient, detail={"page": "drug screens"})
    return render(request, "clinic/medical/screens.html", {
        "patient": patient, "screens": screens, "legend": LEGEND,
        "recovery": queries.current_recovery_date(user, patient),
    })


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=MEDICAL_ROLES)
def drug_screen_new(request, mrn):
    """Record a screen: choose the panel, then one result per substance of that panel."""
    patient = visible_patient_or_404(request, mrn, page="new drug screen")
    user = request.user
    panel_code = request.POST.get("panel") or request.GET.get("panel") or ""
    panel = rules.panel(panel_code)
    status = 200
    if panel is None:
        if request.method == "POST":
            status = 400
        audit.record(user=user, action=Action.VIEW, patient=patient, detail={"page": "new drug screen"})
        return render(request, "clinic/medical/screen_panel.html", {
            "patient": patient, "panels": rules.PANELS.values(), "chosen": panel_code}, status=status)
    form = DrugScreenForm(request.POST or None, panel=panel, organization=patient.organization,
                          initial={"panel": panel.code, "collected_at": timezone.localtime().replace(second=0,
                                                                                                     microsecond=0)})
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            results, values = form.results()
            try:
                screen = services.record_drug_screen(
                    actor=user, patient=patient, specimen=panel.specimen, collected_at=data["collected_at"],
                    observed=data["observed"], panel=panel.code, method=data["method"], lab=data["lab"],
                    results=None if data["results_later"] else results, values=values,
                    validity=data["validity"], collected_by=data["collected_by"], notes=data["notes"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                unexpected = [r for r in screen.results.all() if r.is_unexpected]
                if unexpected:
                    messages.warning(request, "Unexpected result: a task is on the care team's list to discuss it "
                                              "with the patient.")
                else:
                    messages.success(request, "Drug screen recorded.")
                return redirect("clinic:drug_screen_detail", screen_id=screen.pk)
        status = 400
    audit.record(user=user, action=Action.VIEW, patient=patient, detail={"page": "new drug screen"})
    return render(request, "clinic/medical/screen_new.html", {
        "patient": patient, "panel": panel, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=MEDICAL_ROLES)
def drug_screen_detail(request, screen_id):
    """One screen: its collection, results and their interpretation; laboratory results when
    they come; a correction (a new screen that amends this one, with the reason)."""
    user = request.user
    screen = queries.screen_for(user, screen_id)
    if screen is None:
        raise Http404("No such drug screen")
    patient = screen.patient
    panel = rules.panel(screen.panel)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    results_form = ResultsForm(request.POST if action == "results" else None, panel=panel, prefix="results")
    amend_form = AmendForm(request.POST if action == "amend" else None, panel=panel, prefix="amend")
    cancel_form = CancelForm(request.POST if action == "cancel" else None, prefix="cancel")
    status = 200
    if action:
        form = {"results": results_form, "amend": amend_form, "cancel": cancel_form}.get(action)
        if form is None:
            raise Http404("Unknown action")
        if form.is_valid():
            try:
                done = _screen_action(user, action, screen, form)
            except ValidationError as error:
                add_service_errors(form, error, aliases={"amend_reason": "reason"})
            else:
                messages.success(request, "Saved.")
                return redirect("clinic:drug_screen_detail", screen_id=done.pk)
        status = 400
    for result in screen.results.all():
        result.badge = _badge(result.interpretation)
    audit.record(user=user, action=Action.VIEW, patient=patient, obj=screen, detail={"page": "drug screen"})
    return render(request, "clinic/medical/screen_detail.html", {
        "patient": patient, "screen": screen, "legend": LEGEND, "results_form": results_form,
        "amend_form": amend_form, "cancel_form": cancel_form, "action": action,
        "pending": screen.status == ScreenStatus.COLLECTED,
        "amended_by": list(screen.amended_by.all()),
    }, status=status)


def _screen_action(user, action, screen, form):
    if action == "cancel":
        return services.cancel_drug_screen(actor=user, screen=screen, reason=form.cleaned_data["cancel_reason"])
    results, values = form.results()
    if action == "results":
        return services.record_results(actor=user, screen=screen, results=results, values=values,
                                       validity=form.cleaned_data["validity"])
    return services.amend_drug_screen(actor=user, screen=screen, results=results, values=values,
                                      reason=form.cleaned_data["reason"])


@shows_patient_data(roles=MEDICAL_ROLES)
def medical_summary(request, mrn):
    """The chart's Medications section, loaded by htmx: active medications, reconciliation done
    or not, the last screen and the recovery date. Without htmx the chart links to the pages."""
    patient = visible_patient_or_404(request, mrn, page="medical summary")
    if not request.htmx:
        return redirect("clinic:patient_medications", mrn=mrn)
    user = request.user
    medications = [m for m in queries.medication_list(user, patient) if m.is_active]
    screens = queries.screens(user, patient)
    audit.record(user=user, action=Action.VIEW, patient=patient, detail={"page": "medical summary"})
    return render(request, "clinic/medical/_summary.html", {
        "patient": patient, "medications": medications, "reconciliations": queries.reconciliation_status(user, patient),
        "last_screen": screens[0] if screens else None, "recovery": queries.current_recovery_date(user, patient),
    })
