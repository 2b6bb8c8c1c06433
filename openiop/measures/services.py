"""Writes for measurement-based care: scheduling, answering, scoring, alerts.

One write path per operation:
- `schedule_due_measures` (nightly, `openiop measures schedule`) creates due administrations
  from each program's schedule, marks stale ones missed and checks who is not on track;
- `save_answers` keeps partial answers; `complete_administration` scores and locks them;
- `record_answers` is the one path for answers that arrive complete (paper, import);
- safety items and "not on track" create tasks through the worklist.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from openiop.accounts.enums import Role
from openiop.accounts.models import User
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.care.models import EpisodeOfCare, EpisodeStatus
from openiop.measures import queries
from openiop.measures.instruments import (
    DefinitionError,
    Instrument,
    instrument_from_questionnaire,
    normalize_code,
)
from openiop.measures.models import (
    OPEN_STATUSES,
    Administration,
    ImportedInstrument,
    KioskSession,
    MeasureSchedule,
    Mode,
    Occasion,
    PatientSchedule,
    Status,
)
from openiop.measures.scoring import (
    RELIABLE_DETERIORATION,
    RELIABLE_IMPROVEMENT,
    AnswerError,
    clean_answers,
    score,
)
from openiop.privacy.labels import labels_for_program
from openiop.programs.queries import on_call_clinicians
from openiop.worklist.models import Task, TaskKind
from openiop.worklist.services import create_task

KIOSK_MINUTES = 30
# A routine measure not started within this many days of falling due is marked missed when
# the next one is created, so the due list shows what is actually wanted now.
FOLLOW_UP_WINDOW_DAYS = 14


@dataclass(frozen=True)
class DefaultSchedule:
    instrument_code: str
    at_admission: bool = True
    every_days: int | None = 7
    at_discharge: bool = True
    follow_up_days: tuple[int, ...] = (30, 90)
    review_after_weeks: int = 4


# What a program asks when nobody has configured it: PHQ-9 and GAD-7 weekly in every IOP
# (issue 4); substance-use and co-occurring programs add AUDIT-C at the milestones and a
# weekly craving rating. Programs override this with MeasureSchedule rows.
DEFAULT_SCHEDULES = {
    "all": (DefaultSchedule("PHQ-9"), DefaultSchedule("GAD-7")),
    "sud": (DefaultSchedule("AUDIT-C", every_days=None), DefaultSchedule("Craving", every_days=7)),
}


def schedules_for(program) -> list:
    """The program's schedule rows, or the defaults when it has none."""
    rows = [row for row in program.measure_schedules.all() if row.active]
    if rows or program.measure_schedules.exists():
        return rows
    defaults = list(DEFAULT_SCHEDULES["all"])
    if program.kind in ("sud", "cod") or program.is_part2:
        defaults += list(DEFAULT_SCHEDULES["sud"])
    return defaults


def _every_days(schedule, episode, overrides: dict) -> int | None:
    for code, every in overrides.items():
        if normalize_code(code) == normalize_code(schedule.instrument_code):
            return every
    return schedule.every_days


def _overrides(episode) -> dict[str, int | None]:
    latest: dict[str, int | None] = {}
    for row in PatientSchedule.objects.filter(episode=episode).order_by("set_at", "id"):
        latest[row.instrument_code] = row.every_days
    return latest


# Scheduling ----------------------------------------------------------------------------------------


@transaction.atomic
def schedule_due_measures(*, today: dt.date | None = None, actor=None) -> int:
    """Create the administrations that fall due by `today` for every episode; idempotent.
    Returns how many were created. Run nightly (`openiop measures schedule`)."""
    today = today or timezone.localdate()
    created = 0
    episodes = EpisodeOfCare.objects.filter(status__in=queries.CURRENT_STATUSES).select_related("patient", "program")
    for episode in episodes:
        created += len(schedule_for_episode(episode, today=today, actor=actor))
    recently_discharged = EpisodeOfCare.objects.filter(
        status=EpisodeStatus.FINISHED, discharged_on__isnull=False,
        discharged_on__gte=today - dt.timedelta(days=400),
    ).select_related("patient", "program")
    readmitted = set(
        EpisodeOfCare.objects.filter(status__in=queries.CURRENT_STATUSES).values_list("patient_id", flat=True))
    for episode in recently_discharged:
        # Back in a program: that program's schedule asks now, not the old episode's follow-ups.
        if episode.patient_id not in readmitted:
            created += len(schedule_after_discharge(episode, today=today, actor=actor))
    expire_stale_measures(today=today, actor=actor)
    return created


def expire_stale_measures(*, today: dt.date, actor=None) -> int:
    """Mark missed what is no longer wanted: a discharge, follow-up or additional measure left
    unanswered for FOLLOW_UP_WINDOW_DAYS, and anything open in a finished episode after that
    window. Without this they would stay due (and reminded about) for ever."""
    cutoff = today - dt.timedelta(days=FOLLOW_UP_WINDOW_DAYS)
    stale = list(
        Administration.objects.filter(status__in=OPEN_STATUSES, due_on__lt=cutoff)
        .filter(models.Q(occasion__in=(Occasion.DISCHARGE, Occasion.FOLLOW_UP, Occasion.AD_HOC))
                | models.Q(episode__status=EpisodeStatus.FINISHED))
        .select_related("patient")
    )
    _mark_missed(stale, actor, include_started=True)
    return len(stale)


def schedule_for_episode(episode, *, today: dt.date | None = None, actor=None) -> list[Administration]:
    """Admission and routine administrations due by `today` for a current episode."""
    today = today or timezone.localdate()
    existing = list(Administration.objects.filter(episode=episode).exclude(status=Status.ENTERED_IN_ERROR))
    overrides = _overrides(episode)
    created = []
    for schedule in schedules_for(episode.program):
        instrument = queries.instrument_for(schedule.instrument_code, episode.patient.organization_id)
        if instrument is None:
            continue
        code = instrument.code
        mine = [a for a in existing if a.instrument_code == code]
        if schedule.at_admission and not any(a.occasion == Occasion.ADMISSION for a in mine):
            created.append(_create_due(episode, code, Occasion.ADMISSION, episode.admitted_on, actor))
            continue
        every = _every_days(schedule, episode, overrides)
        if not every:
            continue
        # The admission score is the baseline everything is compared with: while it is recent,
        # ask for it rather than a routine one; once a cycle has passed, the routine one takes over.
        open_admission = [a for a in mine if a.is_open and a.occasion == Occasion.ADMISSION]
        # Counted from when it was asked, not the admission day: an admission entered late
        # still gets its full cycle to be answered.
        if any(max(a.due_on, timezone.localdate(a.created_at)) > today - dt.timedelta(days=every)
               for a in open_admission):
            continue
        _mark_missed(open_admission, actor)
        if any(a.is_open and a.occasion == Occasion.ROUTINE and (a.due_on or today) > today - dt.timedelta(days=every)
               for a in mine):
            continue
        last = _last_asked_on(mine) or episode.admitted_on
        if last + dt.timedelta(days=every) <= today:
            # When the job has not run for a while, ask once, on the latest cycle day, not
            # once per missed cycle.
            cycles = (today - last).days // every
            # A half-answered one is superseded too; its partial answers stay in the record.
            _mark_missed([a for a in mine if a.is_open and a.occasion == Occasion.ROUTINE], actor,
                         include_started=True)
            created.append(_create_due(episode, code, Occasion.ROUTINE, last + dt.timedelta(days=cycles * every), actor))
    return created


def schedule_after_discharge(episode, *, today: dt.date | None = None, actor=None) -> list[Administration]:
    """The discharge administration and the follow-ups that fall due by `today`."""
    today = today or timezone.localdate()
    existing = list(Administration.objects.filter(episode=episode).exclude(status=Status.ENTERED_IN_ERROR))
    _mark_missed([a for a in existing if a.is_open and a.occasion in (Occasion.ADMISSION, Occasion.ROUTINE)], actor)
    created = []
    for schedule in schedules_for(episode.program):
        instrument = queries.instrument_for(schedule.instrument_code, episode.patient.organization_id)
        if instrument is None:
            continue
        code = instrument.code
        mine = [a for a in existing if a.instrument_code == code]
        discharged_on = episode.discharged_on
        if (schedule.at_discharge and not any(a.occasion == Occasion.DISCHARGE for a in mine)
                and today - discharged_on <= dt.timedelta(days=FOLLOW_UP_WINDOW_DAYS)):
            created.append(_create_due(episode, code, Occasion.DISCHARGE, discharged_on, actor))
        for day in schedule.follow_up_days or ():
            due_on = discharged_on + dt.timedelta(days=int(day))
            already = any(a.occasion == Occasion.FOLLOW_UP and a.follow_up_day == int(day) for a in mine)
            if not already and due_on <= today <= due_on + dt.timedelta(days=FOLLOW_UP_WINDOW_DAYS):
                created.append(_create_due(episode, code, Occasion.FOLLOW_UP, due_on, actor, follow_up_day=int(day)))
    return created


def _last_asked_on(administrations) -> dt.date | None:
    days = [a.answered_on or a.due_on for a in administrations if a.status != Status.ENTERED_IN_ERROR]
    days = [day for day in days if day is not None]
    return max(days) if days else None


def _create_due(episode, code, occasion, due_on, actor, follow_up_day=None) -> Administration:
    instrument = queries.instrument_for(code, episode.patient.organization_id)
    administration = Administration.objects.create(
        patient=episode.patient, episode=episode, instrument_code=instrument.code,
        instrument_version=instrument.version, occasion=occasion, due_on=due_on,
        follow_up_day=follow_up_day, status=Status.DUE,
        program_of_origin=episode.program, security_labels=labels_for_program(episode.program),
    )
    audit.record(user=actor, action=Action.CREATE, patient=episode.patient, obj=administration,
                 detail={"instrument": instrument.code, "occasion": occasion, "due_on": str(due_on)})
    return administration


def _mark_missed(administrations, actor, *, include_started: bool = False) -> None:
    statuses = OPEN_STATUSES if include_started else (Status.DUE,)
    for administration in administrations:
        if administration.status in statuses:
            administration.status = Status.MISSED
            administration.save(update_fields=["status"])
            audit.record(user=actor, action=Action.CHANGE, patient=administration.patient, obj=administration,
                         detail={"fields": ["status"], "status": Status.MISSED})


@transaction.atomic
def add_measure(*, actor, patient, instrument_code: str, due_on: dt.date | None = None) -> Administration:
    """Ask an instrument outside the schedule (e.g. PCL-5 when trauma comes up)."""
    instrument = _instrument(instrument_code, patient)
    episode = _current_episode(patient)
    program = episode.program if episode else None
    administration = Administration.objects.create(
        patient=patient, episode=episode, instrument_code=instrument.code, instrument_version=instrument.version,
        occasion=Occasion.AD_HOC, due_on=due_on or timezone.localdate(), status=Status.DUE,
        program_of_origin=program, security_labels=labels_for_program(program),
    )
    audit.record(user=actor, action=Action.CREATE, patient=patient, obj=administration,
                 detail={"instrument": instrument.code, "occasion": Occasion.AD_HOC})
    return administration


@transaction.atomic
def set_patient_schedule(*, actor, episode, instrument_code: str, every_days: int | None, reason: str) -> PatientSchedule:
    """Change how often one patient is asked one instrument. A reason is required."""
    instrument = _instrument(instrument_code, episode.patient)
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = "Say why this patient's schedule differs from the program's."
    if every_days is not None and not 1 <= int(every_days) <= 365:
        errors["every_days"] = "Enter a number of days from 1 to 365, or leave it empty to stop routine asking."
    if errors:
        raise ValidationError(errors)
    row = PatientSchedule.objects.create(
        patient=episode.patient, episode=episode, instrument_code=instrument.code, every_days=every_days,
        reason=reason, set_by=actor, program_of_origin=episode.program,
        security_labels=labels_for_program(episode.program),
    )
    audit.record(user=actor, action=Action.CREATE, patient=episode.patient, obj=row,
                 detail={"instrument": instrument.code, "every_days": every_days})
    return row


@transaction.atomic
def save_program_schedule(*, actor, program, rows: dict[str, dict], keep: set[str]) -> list[MeasureSchedule]:
    """Create or update the program's MeasureSchedule rows from cleaned form data.

    `rows` maps an instrument code to its cleaned values; a row is written when it is active,
    already exists, or is in `keep` (the schedule the page showed, so that saving the defaults
    unchanged turns them into the program's own rows). Side effects: one `change` audit event
    per row written.
    This is the one write path for program schedules (the clinic's program measures page).
    """
    existing = {normalize_code(row.instrument_code): row for row in program.measure_schedules.all()}
    saved = []
    for code, values in rows.items():
        row = existing.get(normalize_code(code))
        if row is None and not values["active"] and code not in keep:
            continue
        if row is None:
            row = MeasureSchedule(program=program, instrument_code=code)
        before = {field: getattr(row, field) for field in values} if row.pk else {}
        for field, value in values.items():
            setattr(row, field, value)
        if row.pk and before == values:
            continue
        row.save()
        audit.record(user=actor, action=Action.CREATE if not before else Action.CHANGE, obj=row,
                     detail={"program": program.code, "instrument": code, **values})
        saved.append(row)
    return saved


# Answering -----------------------------------------------------------------------------------------


def _instrument(code: str, patient) -> Instrument:
    instrument = queries.instrument_for(code, patient.organization_id)
    if instrument is None:
        raise ValidationError({"instrument": f"There is no instrument called {code}."})
    return instrument


def instrument_of(administration) -> Instrument:
    return _instrument(administration.instrument_code, administration.patient)


def _current_episode(patient) -> EpisodeOfCare | None:
    episodes = EpisodeOfCare.objects.filter(patient=patient).select_related("program").order_by("-admitted_on", "-id")
    current = [e for e in episodes if e.status in queries.CURRENT_STATUSES]
    return (current or list(episodes[:1]) or [None])[0]


def _lock(administration) -> Administration:
    """Re-read the row under a lock so two tabs cannot complete it twice."""
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer join to the episode.
    return Administration.objects.select_for_update(of=("self",)).select_related(
        "patient", "episode__program").get(pk=administration.pk)


def _check_open(administration) -> None:
    if not administration.is_open:
        raise ValidationError(
            f"This {administration.instrument_code} is {administration.get_status_display().lower()} "
            "and can no longer be changed."
        )


@transaction.atomic
def save_answers(*, actor, administration, answers: dict, mode: str) -> Administration:
    """Keep partial answers (the patient can finish later). Invalid values raise AnswerError."""
    administration = _lock(administration)
    _check_open(administration)
    instrument = instrument_of(administration)
    cleaned = clean_answers(instrument, answers, complete=False)
    _store_partial(actor=actor, administration=administration, instrument=instrument, answers=cleaned, mode=mode)
    return administration


def _store_partial(*, actor, administration, instrument, answers: dict, mode: str) -> None:
    """Keep partial answers, and raise the safety alert now if a safety item is among them: a
    patient who answers item 9 and leaves without sending must not go unseen."""
    administration.answers = {**administration.answers, **answers}
    administration.status = Status.IN_PROGRESS
    administration.mode = mode
    administration.started_at = administration.started_at or timezone.now()
    triggered = safety_rules_triggered(instrument, administration.answers)
    administration.safety_flags = list(dict.fromkeys(rule.flag for rule in triggered))
    administration.save(update_fields=["answers", "status", "mode", "started_at", "safety_flags"])
    audit.record(user=actor, action=Action.CHANGE, patient=administration.patient, obj=administration,
                 detail={"fields": ["answers"], "answered": len(administration.answers), "mode": mode})
    if triggered:
        alert_safety(actor=actor, administration=administration, messages=[rule.message for rule in triggered])


def safety_rules_triggered(instrument, answers: dict) -> list:
    return [rule for rule in instrument.safety_items
            if answers.get(rule.link_id) is not None and int(answers[rule.link_id]) >= rule.at_least]


def complete_administration(
    *, actor, administration, answers: dict, mode: str, answered_on: dt.date | None = None,
) -> Administration:
    """Score complete answers and lock them. Missing or invalid answers raise AnswerError after
    the valid ones are saved, so nothing the patient typed is lost. Side effects: urgent safety
    tasks; a "not on track" review task; audit events."""
    # Answers saved earlier (another tab, "save and finish later") count: read them afresh.
    administration = Administration.objects.select_related("patient", "episode__program").get(pk=administration.pk)
    _check_open(administration)
    if answered_on is not None and answered_on > timezone.localdate():
        raise ValidationError({"answered_on": "The date the answers were given cannot be in the future."})
    instrument = instrument_of(administration)
    merged = {**administration.answers, **{k: v for k, v in answers.items() if v not in (None, "")}}
    try:
        result = score(instrument, merged, sex=administration.patient.sex_assigned_at_birth)
    except AnswerError:
        _keep_valid_answers(administration, instrument, merged, mode, actor=actor)
        raise
    return _complete(actor=actor, administration=administration, instrument=instrument, merged=merged,
                     result=result, mode=mode, answered_on=answered_on)


@transaction.atomic
def _complete(*, actor, administration, instrument, merged, result, mode, answered_on) -> Administration:
    administration = _lock(administration)
    _check_open(administration)
    now = timezone.now()
    administration.answers = clean_answers(instrument, merged, complete=True)
    administration.total = result.total
    administration.severity = result.severity
    administration.subscales = result.subscales
    administration.flags = list(result.flags)
    administration.safety_flags = list(result.safety_flags)
    administration.status = Status.COMPLETED
    administration.mode = mode
    administration.instrument_version = instrument.version
    administration.started_at = administration.started_at or now
    administration.completed_at = now
    administration.answered_on = answered_on or timezone.localdate()
    if getattr(actor, "is_authenticated", False):
        administration.entered_by = actor
    administration.save()
    audit.record(user=actor, action=Action.CREATE, patient=administration.patient, obj=administration,
                 detail={"instrument": instrument.code, "total": result.total, "flags": list(result.flags),
                         "mode": mode, "completed": True})
    if result.safety_flags:
        alert_safety(actor=actor, administration=administration, messages=result.safety_messages)
    check_on_track(actor=actor, administration=administration, instrument=instrument)
    return administration


@transaction.atomic
def _keep_valid_answers(administration, instrument, merged, mode, *, actor) -> None:
    """Save what can be saved from an incomplete or partly invalid submission."""
    administration = _lock(administration)
    if not administration.is_open:
        # Completed meanwhile in another tab: a completed record is never reopened.
        return
    valid = {}
    for link_id, value in merged.items():
        try:
            valid.update(clean_answers(instrument, {link_id: value}, complete=False))
        except AnswerError:
            continue
    if valid:
        _store_partial(actor=actor, administration=administration, instrument=instrument, answers=valid, mode=mode)


@transaction.atomic
def record_answers(
    *, actor, patient, instrument_code: str, answers: dict, mode: str, answered_on: dt.date,
    source_system: str = "", source_identifier: str = "", source_reported_total: int | None = None,
) -> Administration:
    """Answers that arrive complete: a paper form entered by staff, or an imported response.
    Completes the open due administration of that instrument when there is one, else adds one."""
    instrument = _instrument(instrument_code, patient)
    if answered_on > timezone.localdate():
        raise ValidationError({"answered_on": "The date the answers were given cannot be in the future."})
    if source_identifier and Administration.objects.filter(
        patient=patient, source_system=source_system, source_identifier=source_identifier,
    ).exclude(status=Status.ENTERED_IN_ERROR).exists():
        raise ValidationError({"source_identifier": f"Response {source_identifier} from {source_system or 'this source'} "
                                                    "is already in the record."})
    # Validate before creating anything, so a bad form leaves no empty record behind.
    clean_answers(instrument, answers, complete=True)
    open_one = (
        Administration.objects.filter(patient=patient, instrument_code=instrument.code, status__in=OPEN_STATUSES,
                                      due_on__lte=answered_on + dt.timedelta(days=3))
        .order_by("-due_on").first()
    )
    if open_one is None or mode == Mode.IMPORTED:
        episode = _current_episode(patient)
        program = episode.program if episode else None
        open_one = Administration.objects.create(
            patient=patient, episode=episode, instrument_code=instrument.code,
            instrument_version=instrument.version, occasion=Occasion.AD_HOC, due_on=answered_on,
            status=Status.DUE, program_of_origin=program, security_labels=labels_for_program(program),
        )
    if source_system or source_identifier or source_reported_total is not None:
        open_one.source_system = source_system
        open_one.source_identifier = source_identifier
        open_one.source_reported_total = source_reported_total
        open_one.save(update_fields=["source_system", "source_identifier", "source_reported_total"])
    return complete_administration(actor=actor, administration=open_one, answers=answers, mode=mode,
                                   answered_on=answered_on)


@transaction.atomic
def mark_entered_in_error(*, actor, administration, reason: str) -> Administration:
    """Withdraw a completed administration that was wrong (wrong patient, misread form). It
    stays in the record, struck out, and leaves trends and outcomes."""
    administration = _lock(administration)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why this entry is wrong."})
    if administration.status == Status.ENTERED_IN_ERROR:
        raise ValidationError("This entry is already marked as entered in error.")
    administration.status = Status.ENTERED_IN_ERROR
    administration.error_reason = reason
    administration.marked_in_error_by = actor
    administration.marked_in_error_at = timezone.now()
    administration.save(update_fields=["status", "error_reason", "marked_in_error_by", "marked_in_error_at"])
    audit.record(user=actor, action=Action.CHANGE, patient=administration.patient, obj=administration,
                 reason=reason, detail={"fields": ["status"], "status": Status.ENTERED_IN_ERROR})
    return administration


# Alerts --------------------------------------------------------------------------------------------


def safety_recipients(administration) -> list:
    """The primary clinician and whoever is on call for the program; the organization's
    directors when neither exists, so a safety answer never goes unseen."""
    recipients = []
    if administration.episode_id:
        recipients += queries.primary_clinicians(administration.episode)
        recipients += on_call_clinicians(administration.episode.program)
    if not recipients:
        recipients = list(User.objects.filter(
            organization_id=administration.patient.organization_id, role=Role.DIRECTOR, is_active=True))
    return list({user.pk: user for user in recipients}.values())


def alert_safety(*, actor, administration, messages) -> list[Task]:
    """An urgent task per recipient, on their home page until someone records what was done."""
    instrument = instrument_of(administration)
    answered = []
    for rule in instrument.safety_items:
        value = administration.answers.get(rule.link_id)
        if value is not None and value >= rule.at_least:
            item = instrument.item(rule.link_id)
            option = item.option_for(value)
            answered.append(f"item {rule.link_id} “{item.text}”: {option.label if option else value}")
    when = administration.answered_on or timezone.localdate()
    state = "" if administration.is_completed else ", saved before the questionnaire was finished"
    detail = " ".join(messages) + " Answered " + "; ".join(answered) + (
        f" ({administration.get_mode_display().lower()}, {when:%d %b %Y}{state})."
    )
    topic = f"measures:safety:{administration.pk}"
    if Task.objects.filter(topic=topic).exists():
        # Already raised when the answer was first saved; one alert per administration.
        return []
    return [
        create_task(
            actor=actor, assignee=user, kind=TaskKind.SAFETY, urgent=True, patient=administration.patient,
            title=f"Same-day safety review: {administration.instrument_code} safety item answered",
            detail=detail, due_on=timezone.localdate(), topic=topic,
        )
        for user in safety_recipients(administration)
    ]


def check_on_track(*, actor, administration, instrument: Instrument | None = None) -> Task | None:
    """Measurement-based care: reliable deterioration from the admission baseline, or no reliable
    improvement after the program's review period, asks the primary clinician to review the plan."""
    instrument = instrument or instrument_of(administration)
    episode = administration.episode
    if episode is None or instrument.reliable_change is None or administration.total is None:
        return None
    completed = list(
        Administration.objects.filter(episode=episode, instrument_code=instrument.code, status=Status.COMPLETED)
        .order_by("answered_on", "completed_at", "id")
    )
    if len(completed) < 2 or completed[0].pk == administration.pk:
        return None
    baseline = completed[0]
    change = queries.classify_change(instrument, baseline.total, administration.total)
    weeks = _review_after_weeks(episode.program, instrument.code)
    elapsed = (administration.answered_on - baseline.answered_on).days
    if change.direction == RELIABLE_DETERIORATION:
        key = "deterioration"
        reason = (f"{instrument.code} is reliably worse than at baseline ({baseline.total} → "
                  f"{administration.total}; a change of {change.threshold:g} points or more is more than "
                  "measurement error).")
    elif change.direction != RELIABLE_IMPROVEMENT and elapsed >= weeks * 7 and _had_room_to_improve(
            instrument, baseline.total):
        key = "no-improvement"
        reason = (f"No reliable improvement on {instrument.code} after {elapsed // 7} weeks "
                  f"({baseline.total} → {administration.total}).")
    else:
        return None
    topic = f"measures:not-on-track:{episode.pk}:{instrument.code}:{key}"
    if _recent_task_exists(topic, within_days=7 if key == "deterioration" else weeks * 7):
        return None
    recipients = queries.primary_clinicians(episode)
    task = None
    for user in recipients:
        task = create_task(
            actor=actor, assignee=user, kind=TaskKind.REVIEW, patient=administration.patient,
            title=f"Not on track: review the treatment plan ({instrument.code})",
            detail=reason + " Review the plan with the patient: intensity, modality, medication, barriers.",
            due_on=timezone.localdate() + dt.timedelta(days=7), topic=topic,
        )
    return task


def _had_room_to_improve(instrument, baseline_total: int) -> bool:
    """No improvement is expected of someone who started below caseness (PHQ-9 2 → 0 is fine),
    or, without a caseness cut-off, too close to the best score for a reliable change."""
    if instrument.caseness is not None:
        return baseline_total >= instrument.caseness.at_least
    return baseline_total - instrument.min_total >= instrument.reliable_change.points


def _review_after_weeks(program, code: str) -> int:
    for schedule in schedules_for(program):
        if normalize_code(schedule.instrument_code) == normalize_code(code):
            return schedule.review_after_weeks
    return 4


def _recent_task_exists(topic: str, *, within_days: int) -> bool:
    since = timezone.now() - dt.timedelta(days=within_days)
    tasks = Task.objects.filter(topic=topic)
    return tasks.filter(done_at__isnull=True).exists() or tasks.filter(created_at__gte=since).exists()


# Kiosk ---------------------------------------------------------------------------------------------


@transaction.atomic
def start_kiosk(*, actor, patient) -> KioskSession:
    """Hand a clinic tablet to one patient. Only their due measures can be answered."""
    if not queries.due_for_patient(patient).exists():
        raise ValidationError("This patient has no measures due, so there is nothing to answer on the tablet.")
    session = KioskSession.objects.create(
        patient=patient, started_by=actor, expires_at=timezone.now() + dt.timedelta(minutes=KIOSK_MINUTES))
    audit.record(user=actor, action=Action.CREATE, patient=patient, obj=session, detail={"kiosk": True})
    return session


def end_kiosk(session: KioskSession, *, reason: str) -> KioskSession:
    if session.ended_at is None:
        session.ended_at = timezone.now()
        session.ended_reason = reason
        session.save(update_fields=["ended_at", "ended_reason"])
    return session


def kiosk_is_live(session: KioskSession | None) -> bool:
    return session is not None and session.ended_at is None and session.expires_at > timezone.now()


# Imports -------------------------------------------------------------------------------------------


@transaction.atomic
def import_instrument(*, organization, questionnaire: dict, imported_by: str) -> ImportedInstrument:
    """Add an instrument from a FHIR Questionnaire with OpenIOP's scoring extension."""
    try:
        instrument = instrument_from_questionnaire(questionnaire)
    except DefinitionError as error:
        raise ValidationError({"questionnaire": str(error)}) from error
    if any(normalize_code(instrument.code) == normalize_code(code) for code in queries.builtin_instruments()):
        raise ValidationError({"questionnaire": f"{instrument.code} is built in; give the import another code."})
    try:
        with transaction.atomic():
            return ImportedInstrument.objects.create(
                organization=organization, code=instrument.code, version=instrument.version,
                questionnaire=json.loads(json.dumps(questionnaire)), imported_by=imported_by,
            )
    except IntegrityError as error:
        raise ValidationError(
            {"questionnaire": f"{instrument.code} version {instrument.version} is already imported."}
        ) from error


# Reminders -----------------------------------------------------------------------------------------

# An email can be read by anyone who shares the inbox or sees the screen, so it says nothing
# about health or treatment: no instrument, no score, no program or clinic name.
REMIND_AT_MOST_EVERY = dt.timedelta(days=2)
SUBJECT = "You have a check-in waiting"
BODY = """Hello,

You have a check-in waiting in your OpenIOP portal.

Sign in to see it: {portal_url}

You are receiving this email because you have an OpenIOP portal account.
"""


def send_due_reminders(*, portal_url: str, now: dt.datetime | None = None) -> int:
    """Email every patient with due measures and an active portal login with an email, unless
    they were reminded in the last two days. Side effects: one email and one `change` audit
    event per patient; `reminded_at` set on the administrations the email was about."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    recently_reminded = Administration.objects.filter(
        reminded_at__gt=now - REMIND_AT_MOST_EVERY
    ).values("patient_id")
    due = (
        Administration.objects.filter(
            status__in=OPEN_STATUSES, due_on__lte=today,
            due_on__gte=today - dt.timedelta(days=FOLLOW_UP_WINDOW_DAYS),
            patient__portal_user__isnull=False, patient__portal_user__is_active=True,
            patient__portal_user__role=Role.PATIENT,
        )
        .exclude(patient__portal_user__email="")
        .exclude(patient_id__in=recently_reminded)
        .select_related("patient__portal_user")
        .order_by("patient_id", "due_on", "id")
    )
    by_patient: dict[int, list[Administration]] = {}
    for administration in due:
        by_patient.setdefault(administration.patient_id, []).append(administration)
    for administrations in by_patient.values():
        remind(administrations, portal_url=portal_url, now=now)
    return len(by_patient)


def remind(administrations: list[Administration], *, portal_url: str, now: dt.datetime) -> None:
    patient = administrations[0].patient
    send_mail(SUBJECT, BODY.format(portal_url=portal_url), None, [patient.portal_user.email])
    # Recorded after sending: a failure to send leaves the patient to be tried again next run.
    Administration.objects.filter(pk__in=[a.pk for a in administrations]).update(reminded_at=now)
    audit.record(
        user=None, action=Action.CHANGE, patient=patient,
        detail={"fields": ["reminded_at"], "reminder": "email",
                "administrations": [a.pk for a in administrations]},
    )
