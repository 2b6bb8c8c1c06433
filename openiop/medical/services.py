"""Writes of the medical part: medications, reconciliation, adherence, drug screens, recovery date.

Each function is the one way to make its change; views, the demo loader and tests call them.
Validation errors name the field (`ValidationError({"field": "plain message"})`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.care.models import CareTeamMember, CareTeamRole, EpisodeOfCare, EpisodeStatus
from openiop.medical import rules
from openiop.medical.models import (
    Adherence,
    AdherenceNote,
    Decision,
    DrugScreen,
    DrugScreenResult,
    Medication,
    Reconciliation,
    ReconciliationKind,
    ReconciliationLine,
    RecoveryDate,
    RecoverySource,
    Route,
    ScreenStatus,
    Source,
)
from openiop.medical.rules import Interpretation, Method, MoudKind, Result, Specimen, Validity
from openiop.privacy.labels import labels_for_program
from openiop.worklist.models import Task, TaskKind
from openiop.worklist.services import create_task

CURRENT = (EpisodeStatus.ACTIVE, EpisodeStatus.ONHOLD)


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def current_episode(patient) -> EpisodeOfCare | None:
    return EpisodeOfCare.objects.filter(patient=patient, status__in=CURRENT).select_related("program").first()


def latest_episode(patient) -> EpisodeOfCare | None:
    return EpisodeOfCare.objects.filter(patient=patient).select_related("program").first()


def _label(record, *, episode, patient) -> None:
    """Labels from the episode's program; outside that, from the patient's program of origin."""
    if episode is not None:
        record.label_for_program(episode.program)
    else:
        record.program_of_origin = patient.program_of_origin
        record.security_labels = labels_for_program(patient.program_of_origin)


def _copy_labels(record, source) -> None:
    record.program_of_origin_id = source.program_of_origin_id
    record.security_labels = list(source.security_labels)


# --- medications -----------------------------------------------------------------------------


@transaction.atomic
def add_medication(
    *, actor, patient, name: str, dose: str, frequency: str, route: str = Route.ORAL,
    started_on: dt.date | None = None, reason: str = "", moud: str = MoudKind.NONE, otp_name: str = "",
    source: str = Source.HERE, prescriber=None, prescriber_name: str = "", episode=None, replaces=None,
    before_admission: bool = False,
) -> Medication:
    """Add a medication to the patient's list. Without `episode`, the current episode (if any);
    `before_admission` keeps it outside any episode (a medication the patient already took: it
    still belongs to them, labelled from their program of origin).
    Methadone for opioid use disorder needs the opioid treatment program that doses it.
    Side effects: one `create` audit event."""
    errors = {}
    name, dose, frequency = (name or "").strip(), (dose or "").strip(), (frequency or "").strip()
    if not name:
        errors["name"] = "Give the medication's name."
    if not dose:
        errors["dose"] = "Give the dose (e.g. 8 mg)."
    if not frequency:
        errors["frequency"] = "Say how often it is taken (e.g. once daily)."
    if route not in Route.values:
        errors["route"] = "Choose a route."
    if moud not in MoudKind.values:
        errors["moud"] = "Choose whether this is a medication for opioid use disorder."
    if source not in Source.values:
        errors["source"] = "Say where the medication comes from."
    otp_name = (otp_name or "").strip()
    if moud == MoudKind.METHADONE and not otp_name:
        errors["otp_name"] = ("Methadone for opioid use disorder is dispensed by an opioid treatment program: "
                              "name the program.")
    if source == Source.HERE and prescriber is None and moud != MoudKind.METHADONE:
        errors["prescriber"] = "Choose the prescriber (or say the medication comes from outside)."
    if started_on and started_on > timezone.localdate() + dt.timedelta(days=1):
        errors["started_on"] = "The start date is in the future."
    if errors:
        raise ValidationError(errors)
    if episode is None and not before_admission:
        episode = current_episode(patient)
    medication = Medication(
        patient=patient, episode=episode, name=name, dose=dose, route=route, frequency=frequency,
        prescriber=prescriber, prescriber_name=(prescriber_name or "").strip(), started_on=started_on,
        reason=(reason or "").strip(), moud=moud, otp_name=otp_name, source=source, replaces=replaces,
        created_by=_user(actor),
    )
    _label(medication, episode=episode, patient=patient)
    medication.full_clean()
    medication.save()
    audit.record(user=actor, action=Action.CREATE, patient=patient, obj=medication)
    return medication


@transaction.atomic
def stop_medication(*, actor, medication: Medication, stopped_on: dt.date, reason: str) -> Medication:
    """Stop a medication (kept on the list as stopped). Side effects: one `change` audit event."""
    medication = Medication.objects.select_for_update().get(pk=medication.pk)
    if medication.stopped_on or medication.entered_in_error:
        raise ValidationError({"stopped_on": "This medication is already stopped."})
    if stopped_on is None:
        raise ValidationError({"stopped_on": "Give the day it was stopped."})
    if medication.started_on and stopped_on < medication.started_on:
        raise ValidationError({"stopped_on": "The stop date is before the start date."})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"stop_reason": "Say why it was stopped."})
    medication.stopped_on = stopped_on
    medication.stop_reason = reason[:200]
    medication.save(update_fields=["stopped_on", "stop_reason"])
    audit.record(user=actor, action=Action.CHANGE, patient=medication.patient, obj=medication,
                 detail={"fields": ["stopped_on", "stop_reason"]})
    return medication


@transaction.atomic
def change_dose(*, actor, medication: Medication, dose: str, frequency: str = "", changed_on: dt.date,
                reason: str = "") -> Medication:
    """A dose change: the old row is stopped ("dose changed") and a new row replaces it, so the
    history stays. Side effects: a `change` and a `create` audit event."""
    if not (dose or "").strip():
        raise ValidationError({"dose": "Give the new dose."})
    stop_medication(actor=actor, medication=medication, stopped_on=changed_on,
                    reason=f"Dose changed to {dose.strip()}" + (f": {reason.strip()}" if reason.strip() else ""))
    return add_medication(
        actor=actor, patient=medication.patient, episode=medication.episode, name=medication.name, dose=dose,
        frequency=frequency or medication.frequency, route=medication.route, started_on=changed_on,
        reason=medication.reason, moud=medication.moud, otp_name=medication.otp_name, source=medication.source,
        prescriber=medication.prescriber, prescriber_name=medication.prescriber_name, replaces=medication,
    )


@transaction.atomic
def mark_medication_entered_in_error(*, actor, medication: Medication, reason: str) -> Medication:
    """Mark a row that should never have been written; it stays, marked. Side effects: a `change` event."""
    medication = Medication.objects.select_for_update().get(pk=medication.pk)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"error_reason": "Say what was wrong."})
    if medication.entered_in_error:
        raise ValidationError({"error_reason": "Already marked entered in error."})
    medication.entered_in_error = True
    medication.error_reason = reason[:200]
    medication.save(update_fields=["entered_in_error", "error_reason"])
    audit.record(user=actor, action=Action.CHANGE, patient=medication.patient, obj=medication,
                 detail={"fields": ["entered_in_error", "error_reason"]})
    return medication


@transaction.atomic
def write_adherence_note(*, actor, medication: Medication, adherence: str, text: str = "") -> AdherenceNote:
    """How the patient is taking a medication, as they or staff observed. Written once.
    Side effects: one `create` audit event."""
    if adherence not in Adherence.values:
        raise ValidationError({"adherence": "Choose how the medication is being taken."})
    text = (text or "").strip()
    if adherence != Adherence.AS_PRESCRIBED and not text:
        raise ValidationError({"text": "Say what the patient told you (missed doses, why, since when)."})
    note = AdherenceNote(medication=medication, patient=medication.patient, author=_user(actor),
                         written_at=timezone.now(), adherence=adherence, text=text)
    _copy_labels(note, medication)
    note.save()
    audit.record(user=actor, action=Action.CREATE, patient=medication.patient, obj=note)
    return note


# --- reconciliation --------------------------------------------------------------------------


def medications_to_reconcile(episode, kind: str) -> list[Medication]:
    """The medications a reconciliation decides about: every one not stopped and not in error
    (at discharge, also those stopped during the episode are shown elsewhere, not decided)."""
    return list(Medication.objects.filter(patient=episode.patient).current().order_by("name", "id"))


@transaction.atomic
def reconcile_medications(*, actor, episode: EpisodeOfCare, kind: str, decisions: dict, notes: str = "",
                          performed_at: dt.datetime | None = None) -> Reconciliation:
    """Record the admission or discharge reconciliation: one decision (continue, stop, change,
    new) per current medication, with a comment. "Stop" stops the medication that day; "change"
    needs a comment saying what changes (the new dose is entered as a change on the list).
    Written once per episode and kind.
    Side effects: one `create` audit event, and a `change` event per medication stopped."""
    if kind not in ReconciliationKind.values:
        raise ValidationError({"kind": "Choose admission or discharge."})
    if Reconciliation.objects.filter(episode=episode, kind=kind).exists():
        raise ValidationError({"kind": f"The {kind} reconciliation of this episode is already recorded."})
    if kind == ReconciliationKind.DISCHARGE and episode.status == EpisodeStatus.CANCELLED:
        raise ValidationError({"kind": "This episode was cancelled."})
    medications = medications_to_reconcile(episode, kind)
    decisions = {int(key): value for key, value in (decisions or {}).items()}
    errors = {}
    missing = [m.name for m in medications if m.pk not in decisions]
    if missing:
        errors["decisions"] = f"Decide about every medication: {', '.join(missing)}."
    known = {m.pk: m for m in medications}
    unknown = [key for key in decisions if key not in known]
    if unknown:
        errors["decisions"] = "A decision names a medication that is not on the current list."
    for key, (decision, comment) in decisions.items():
        if decision not in Decision.values:
            errors["decisions"] = "Choose continue, stop, change or new for each medication."
        elif decision in (Decision.CHANGE, Decision.STOP) and not (comment or "").strip():
            name = known[key].name if key in known else "a medication"
            errors["decisions"] = f"Say what changes, or why it stops, for {name}."
    if errors:
        raise ValidationError(errors)
    performed_at = performed_at or timezone.now()
    reconciliation = Reconciliation(episode=episode, patient=episode.patient, kind=kind,
                                    performed_by=_user(actor), performed_at=performed_at,
                                    notes=(notes or "").strip())
    reconciliation.label_for_program(episode.program)
    reconciliation.save()
    for medication in medications:
        decision, comment = decisions[medication.pk]
        ReconciliationLine.objects.create(reconciliation=reconciliation, medication=medication,
                                          decision=decision, comment=(comment or "").strip()[:300])
        if decision == Decision.STOP:
            stop_medication(actor=actor, medication=medication, stopped_on=timezone.localdate(performed_at),
                            reason=f"{ReconciliationKind(kind).label} reconciliation: {comment.strip()}")
    audit.record(user=actor, action=Action.CREATE, patient=episode.patient, obj=reconciliation,
                 detail={"kind": kind, "medications": len(medications)})
    return reconciliation


# --- drug screens ----------------------------------------------------------------------------


def _check_results(panel: rules.Panel, results: dict, values: dict) -> dict:
    errors = {}
    unknown = [code for code in results if code not in panel.substances]
    if unknown:
        errors["results"] = f"Not on the {panel.name}: {', '.join(unknown)}."
    missing = [rules.substance_name(code) for code in panel.substances if code not in results]
    if missing:
        errors["results"] = f"Give a result for every substance of the panel (missing: {', '.join(missing)})."
    for code, result in results.items():
        if result not in Result.values:
            errors["results"] = f"{rules.substance_name(code)}: choose positive, negative or inconclusive."
    for code, value in (values or {}).items():
        if value is not None and Decimal(value) < 0:
            errors["results"] = f"{rules.substance_name(code)}: a reading cannot be below zero."
    return errors


@transaction.atomic
def record_drug_screen(
    *, actor, patient, specimen: str, collected_at: dt.datetime, observed: bool, panel: str,
    method: str | None = None, lab: str = "", results: dict | None = None, values: dict | None = None,
    validity: str = Validity.VALID, collected_by=None, session=None, notes: str = "", episode=None,
    amends: DrugScreen | None = None, amend_reason: str = "",
) -> DrugScreen:
    """Record a drug screen. With `results` (substance code -> positive/negative/inconclusive;
    `values` for readings such as breath alcohol in g/dL) the screen is resulted now and each
    result is interpreted against the medications active on the collection day; without them
    (a specimen sent to a lab) it waits for `record_results`.

    The presumptive drug-test code (80305/80306/80307 by method) is set only for the first
    screen of the patient's date of service; a second one that day carries a billing note
    instead (domain.md 2.2: one of those codes per date of service).
    Side effects: one `create` audit event; tasks for unexpected results (see `record_results`).
    """
    found = rules.panel(panel)
    errors = {}
    if found is None:
        errors["panel"] = "Choose a panel."
    if specimen not in rules.Specimen.values:
        errors["specimen"] = "Choose the specimen."
    elif found is not None and found.specimen != specimen:
        errors["specimen"] = f"The {found.name} tests {rules.Specimen(found.specimen).label.lower()}."
    method = method or (found.method if found else Method.POINT_OF_CARE)
    if method not in Method.values:
        errors["method"] = "Choose how the test is read."
    lab = (lab or "").strip()
    if method == Method.LAB and not lab:
        errors["lab"] = "Name the laboratory."
    if collected_at is None:
        errors["collected_at"] = "Give the day and time of collection."
    elif collected_at > timezone.now() + dt.timedelta(minutes=5):
        errors["collected_at"] = "The collection time is in the future."
    elif patient.date_of_birth and timezone.localdate(collected_at) < patient.date_of_birth:
        errors["collected_at"] = "The collection date is before the patient's date of birth: check the year."
    if validity not in Validity.values:
        errors["validity"] = "Choose the specimen's validity."
    if found is not None and results:
        errors.update(_check_results(found, results, values))
    if amends is not None and not (amend_reason or "").strip():
        errors["amend_reason"] = "Say why the results are corrected."
    if errors:
        raise ValidationError(errors)
    episode = episode or (amends.episode if amends else None) or current_episode(patient) or latest_episode(patient)
    if episode is None:
        raise ValidationError({"patient": "The patient has no episode of care to record a screen in."})
    day = timezone.localdate(collected_at)
    service_code = rules.service_code_for(method=method, specimen=specimen)
    billing_note = "" if service_code else "Breath alcohol test: not a presumptive drug test code."
    if service_code:
        same_day = [s for s in DrugScreen.objects.filter(patient=patient).exclude(service_code="")
                    .exclude(status=ScreenStatus.CANCELLED) if timezone.localdate(s.collected_at) == day]
        if amends is not None or same_day:
            billing_note = (f"Not coded: {same_day[0].service_code} is already recorded for {day:%Y-%m-%d} "
                            f"(one presumptive drug test code per date of service)." if same_day and amends is None
                            else "Correction of an earlier screen: not coded again.")
            service_code = ""
    screen = DrugScreen(
        patient=patient, episode=episode, session=session, specimen=specimen, collected_at=collected_at,
        collected_by=collected_by if collected_by is not None else _user(actor), observed=bool(observed),
        panel=panel, method=method, lab_name=lab, validity=validity,
        notes=(notes or "").strip(), service_code=service_code, billing_note=billing_note, amends=amends,
        amend_reason=(amend_reason or "").strip()[:300], created_by=_user(actor),
    )
    screen.label_for_program(episode.program)
    screen.save()
    audit.record(user=actor, action=Action.CREATE, patient=patient, obj=screen,
                 detail={"panel": panel, "amends": amends.pk if amends else None})
    if results:
        _write_results(actor=actor, screen=screen, results=results, values=values or {}, validity=validity)
    return screen


@transaction.atomic
def record_results(*, actor, screen: DrugScreen, results: dict, values: dict | None = None,
                   validity: str = Validity.VALID, resulted_at: dt.datetime | None = None) -> DrugScreen:
    """Record the results of a screen that was waiting for them (a laboratory screen).
    Each result is interpreted against the medications active on the collection day and the
    interpretation is stored with it. Side effects: a `change` audit event; for unexpected
    results one DRUG_SCREEN task per person (the primary clinician; for a missing MOUD
    substance also the prescriber), topic `medical:screen:<pk>`, urgent for a fentanyl positive."""
    screen = DrugScreen.objects.select_for_update().get(pk=screen.pk)
    if screen.status != ScreenStatus.COLLECTED:
        raise ValidationError({"results": "This screen already has its results; amend it to correct them."})
    if validity not in Validity.values:
        raise ValidationError({"validity": "Choose the specimen's validity."})
    errors = _check_results(rules.panel(screen.panel), results or {}, values)
    if errors:
        raise ValidationError(errors)
    screen.validity = validity
    screen.save(update_fields=["validity"])
    _write_results(actor=actor, screen=screen, results=results, values=values or {}, validity=validity,
                   resulted_at=resulted_at)
    audit.record(user=actor, action=Action.CHANGE, patient=screen.patient, obj=screen,
                 detail={"fields": ["status", "resulted_at", "results"]})
    return screen


@transaction.atomic
def amend_drug_screen(*, actor, screen: DrugScreen, results: dict, reason: str, values: dict | None = None,
                      validity: str | None = None) -> DrugScreen:
    """Correct a resulted screen: a new screen with the same collection, the corrected results
    and the reason; the first stays as it was, marked as amended. A screen is corrected once
    (a further correction corrects the correction), so a form sent twice makes one. Side
    effects: as `record_drug_screen`."""
    screen = DrugScreen.objects.select_for_update().get(pk=screen.pk)
    if screen.status != ScreenStatus.RESULTED:
        raise ValidationError({"results": "Only a resulted screen can be corrected."})
    if screen.amended_by.exists():
        raise ValidationError({"results": "These results were already corrected: correct the latest correction."})
    return record_drug_screen(
        actor=actor, patient=screen.patient, specimen=screen.specimen, collected_at=screen.collected_at,
        observed=screen.observed, panel=screen.panel, method=screen.method, lab=screen.lab_name, results=results,
        values=values, validity=validity or screen.validity, collected_by=screen.collected_by,
        session=screen.session, notes=screen.notes, episode=screen.episode, amends=screen, amend_reason=reason,
    )


@transaction.atomic
def cancel_drug_screen(*, actor, screen: DrugScreen, reason: str) -> DrugScreen:
    """A specimen that will never have results (leaked, lost, refused). Side effects: `change` event."""
    screen = DrugScreen.objects.select_for_update().get(pk=screen.pk)
    if screen.status != ScreenStatus.COLLECTED:
        raise ValidationError({"cancel_reason": "Only a screen waiting for results can be cancelled."})
    if not (reason or "").strip():
        raise ValidationError({"cancel_reason": "Say why the screen is cancelled."})
    screen.status = ScreenStatus.CANCELLED
    screen.cancel_reason = reason.strip()[:200]
    screen.save(update_fields=["status", "cancel_reason"])
    audit.record(user=actor, action=Action.CHANGE, patient=screen.patient, obj=screen,
                 detail={"fields": ["status", "cancel_reason"]})
    return screen


def _medications_on(patient, day: dt.date) -> list[Medication]:
    return [m for m in Medication.objects.filter(patient=patient, entered_in_error=False).select_related("prescriber")
            if rules.is_active_on(m, day)]


def _write_results(*, actor, screen, results, values, validity, resulted_at=None) -> list[DrugScreenResult]:
    day = timezone.localdate(screen.collected_at)
    medications = _medications_on(screen.patient, day)
    written = []
    for code in [c for c in rules.panel(screen.panel).substances if c in results]:
        value = values.get(code)
        reading = rules.interpret(substance=code, result=results[code], medications=medications,
                                  validity=validity, method=screen.method)
        row = DrugScreenResult(
            screen=screen, patient=screen.patient, substance=code, result=results[code],
            value=Decimal(str(value)) if value is not None else None,
            unit=rules.BREATH_ALCOHOL_UNIT if value is not None and code == rules.ALCOHOL else "",
            interpretation=reading.interpretation, interpretation_note=reading.note[:400],
            explained_by=reading.explained_by, recorded_by=_user(actor),
        )
        _copy_labels(row, screen)
        row.save()
        written.append(row)
    DrugScreen.objects.filter(pk=screen.pk).update(status=ScreenStatus.RESULTED,
                                                   resulted_at=resulted_at or timezone.now())
    screen.status, screen.resulted_at = ScreenStatus.RESULTED, resulted_at or timezone.now()
    _tasks_for(actor=actor, screen=screen, rows=written, medications=medications)
    return written


def screen_topic(screen) -> str:
    return f"medical:screen:{screen.pk}"


def _primary_clinicians(episode) -> list:
    from openiop.measures.queries import primary_clinicians

    return primary_clinicians(episode)


def _prescribers(episode, medications) -> list:
    found = [m.prescriber for m in medications if m.is_moud and m.prescriber_id and m.prescriber.is_active]
    if not found:
        found = [member.user for member in CareTeamMember.objects.filter(
            episode=episode, role=CareTeamRole.PRESCRIBER, end_date__isnull=True).select_related("user")]
    return found


def _tasks_for(*, actor, screen, rows, medications) -> list[Task]:
    """One task per person about this screen's unexpected results (none if it has none)."""
    unexpected = [row for row in rows if row.is_unexpected]
    if not unexpected:
        return []
    assignees = list(_primary_clinicians(screen.episode))
    if any(row.interpretation == Interpretation.UNEXPECTED_NEGATIVE for row in unexpected):
        assignees += _prescribers(screen.episode, [m for m in medications if m.is_moud])
    if not assignees and _user(actor) is not None and actor.treats_patients:
        assignees = [actor]
    urgent = any(row.result == Result.POSITIVE and row.substance in rules.URGENT_POSITIVES for row in unexpected)
    local = timezone.localtime(screen.collected_at)
    lines = [f"- {row.substance_name}: {row.get_interpretation_display().lower()}."
             + (f" {row.interpretation_note}" if row.interpretation_note else "") for row in unexpected]
    detail = (
        f"{screen.panel_name} collected {local:%Y-%m-%d %H:%M}"
        f"{' (observed)' if screen.observed else ''}.\n" + "\n".join(lines) + "\n"
        "Discuss the result with the patient and review the plan together. A single result is a clinical "
        "finding, not a reason for discharge."
    )
    title = ("Fentanyl-positive drug screen: talk with the patient today" if urgent
             else "Drug screen result to discuss with the patient")
    topic = screen_topic(screen)
    already = set(Task.objects.filter(topic=topic).values_list("assignee_id", flat=True))
    tasks, seen = [], set()
    for user in assignees:
        if user.pk in seen or user.pk in already:
            continue
        seen.add(user.pk)
        tasks.append(create_task(actor=actor, assignee=user, kind=TaskKind.DRUG_SCREEN, title=title, detail=detail,
                                 urgent=urgent, patient=screen.patient, due_on=timezone.localdate(), topic=topic))
    return tasks


# --- recovery date ---------------------------------------------------------------------------


@transaction.atomic
def set_recovery_date(*, actor, patient, date: dt.date | None, source: str, note: str = "") -> RecoveryDate:
    """Set or change the patient's recovery date. The patient decides it: in the portal
    themselves (`source="portal"`, the actor is the patient), or staff record it at the
    patient's request (`source="clinic"`, saying so in the note). Nothing else writes it: a
    drug screen result never does. Side effects: one `create` audit event."""
    if source not in RecoverySource.values:
        raise ValidationError({"source": "Say how the date was given."})
    if source == RecoverySource.PORTAL and getattr(actor, "patient_id", None) != patient.pk:
        raise ValidationError({"recovery_date": "Only the patient can set their own date in the portal."})
    if source == RecoverySource.CLINIC and not (note or "").strip():
        raise ValidationError({"note": "Say that the patient asked for this date (and when)."})
    if date is not None and date > timezone.localdate():
        raise ValidationError({"recovery_date": "A recovery date cannot be in the future."})
    if date is not None and date < patient.date_of_birth:
        raise ValidationError({"recovery_date": "That date is before the date of birth."})
    row = RecoveryDate(patient=patient, recovery_date=date, set_by=_user(actor), set_at=timezone.now(),
                       source=source, note=(note or "").strip()[:300])
    episode = current_episode(patient) or latest_episode(patient)
    _label(row, episode=episode, patient=patient)
    row.save()
    audit.record(user=actor, action=Action.CREATE, patient=patient, obj=row,
                 detail={"cleared": date is None, "source": source})
    return row


def clear_recovery_date(*, actor, patient, source: str, note: str = "") -> RecoveryDate:
    """The patient no longer wants a date shown. Side effects: as `set_recovery_date`."""
    return set_recovery_date(actor=actor, patient=patient, date=None, source=source, note=note)


__all__ = [
    "Specimen", "add_medication", "amend_drug_screen", "cancel_drug_screen", "change_dose", "clear_recovery_date",
    "mark_medication_entered_in_error", "reconcile_medications", "record_drug_screen", "record_results",
    "set_recovery_date", "stop_medication", "write_adherence_note",
]
