"""Reads of the medical part. Every query over patient records goes through `visible_to(user)`;
each function costs a fixed number of queries however many rows it returns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from openiop.care.models import EpisodeOfCare
from openiop.medical import rules
from openiop.medical.models import (
    AdherenceNote,
    DrugScreen,
    DrugScreenResult,
    Medication,
    Reconciliation,
    ReconciliationKind,
    ReconciliationLine,
    RecoveryDate,
    ScreenStatus,
)


def medication_list(user, patient) -> list[Medication]:
    """The patient's medications: active first (by name), then stopped (latest stop first), then
    those entered in error. Each with its adherence notes (newest first)."""
    rows = list(
        Medication.objects.visible_to(user).filter(patient=patient)
        .select_related("prescriber", "episode__program", "replaces")
        .prefetch_related(Prefetch("adherence_notes", queryset=AdherenceNote.objects.select_related("author")))
    )
    active = sorted((m for m in rows if m.is_active), key=lambda m: (m.name.lower(), m.pk))
    stopped = sorted((m for m in rows if m.status == "stopped"), key=lambda m: (m.stopped_on, m.pk), reverse=True)
    errors = [m for m in rows if m.entered_in_error]
    return active + stopped + errors


def active_on(patient, day: dt.date) -> list[Medication]:
    """Medications the patient was taking on `day` (for interpretation; no user: the caller has
    already decided access)."""
    return [m for m in Medication.objects.filter(patient=patient, entered_in_error=False)
            if rules.is_active_on(m, day)]


def screens(user, patient) -> list[DrugScreen]:
    """The patient's drug screens, newest collection first, each with its results."""
    return list(
        DrugScreen.objects.visible_to(user).filter(patient=patient)
        .select_related("collected_by", "amends")
        .prefetch_related(Prefetch("results", queryset=DrugScreenResult.objects.select_related("explained_by")),
                          "amended_by")
    )


def screen_for(user, screen_id) -> DrugScreen | None:
    return (
        DrugScreen.objects.visible_to(user).filter(pk=screen_id)
        .select_related("patient", "collected_by", "episode__program", "amends", "session")
        .prefetch_related(Prefetch("results", queryset=DrugScreenResult.objects.select_related("explained_by")),
                          "amended_by")
        .first()
    )


def unexpected_results(user, *, since: dt.date | None = None) -> list[DrugScreenResult]:
    """Unexpected results the user may see (for dashboards), newest first; by default the last 14 days.
    Results of screens that were later corrected are left out."""
    since = since or timezone.localdate() - dt.timedelta(days=14)
    return list(
        DrugScreenResult.objects.visible_to(user)
        .filter(interpretation__in=rules.UNEXPECTED, screen__collected_at__date__gte=since,
                screen__amended_by__isnull=True)
        .select_related("screen", "patient")
        .order_by("-screen__collected_at", "screen_id", "id")
    )


def current_recovery_date(user, patient) -> RecoveryDate | None:
    """The patient's latest recovery-date row (its date is blank when they cleared it), or None."""
    return RecoveryDate.objects.visible_to(user).filter(patient=patient).select_related("set_by").first()


def recovery_history(user, patient) -> list[RecoveryDate]:
    return list(RecoveryDate.objects.visible_to(user).filter(patient=patient).select_related("set_by"))


def reconciliations(user, patient) -> list[Reconciliation]:
    return list(
        Reconciliation.objects.visible_to(user).filter(patient=patient)
        .select_related("performed_by", "episode__program")
        .prefetch_related(Prefetch("lines", queryset=ReconciliationLine.objects.select_related("medication")))
    )


@dataclass
class ReconciliationStatus:
    episode: EpisodeOfCare
    admission: Reconciliation | None
    discharge: Reconciliation | None

    @property
    def discharge_due(self) -> bool:
        """A discharge reconciliation is offered once the episode ends or has a discharge date."""
        return self.discharge is None and (not self.episode.is_current or self.episode.discharged_on is not None)


def reconciliation_status(user, patient) -> list[ReconciliationStatus]:
    """Per episode (newest first): the admission and discharge reconciliations, if done."""
    episodes = list(EpisodeOfCare.objects.visible_to(user).filter(patient=patient).select_related("program"))
    done = {(r.episode_id, r.kind): r for r in reconciliations(user, patient)}
    return [ReconciliationStatus(e, done.get((e.pk, ReconciliationKind.ADMISSION)),
                                 done.get((e.pk, ReconciliationKind.DISCHARGE))) for e in episodes]


@dataclass
class PrescriberVisit:
    session: object
    staff: list
    attendance: object | None

    @property
    def starts_at(self):
        return self.session.starts_at


def prescriber_visits(user, patient) -> list[PrescriberVisit]:
    """The patient's medication-management sessions (newest first), with the prescriber and the
    attendance when recorded. Read only by people who may see the patient's clinical record."""
    from openiop.attendance.models import Attendance
    from openiop.patients.rules import can_see_clinical
    from openiop.scheduling.models import Attendee, SessionKind

    if not can_see_clinical(user):
        return []
    rows = (
        Attendee.objects.filter(patient=patient, session__kind=SessionKind.MEDICATION)
        .select_related("session", "attendance")
        .prefetch_related("session__staff")
        .order_by("-session__starts_at", "-id")
    )
    visits = []
    for row in rows:
        try:
            attendance = row.attendance
        except Attendance.DoesNotExist:
            attendance = None
        visits.append(PrescriberVisit(row.session, list(row.session.staff.all()), attendance))
    return visits


def pending_screens(user, patient) -> list[DrugScreen]:
    return [s for s in screens(user, patient) if s.status == ScreenStatus.COLLECTED]
