"""Reads of measurement data. Patient data goes through `Administration.objects.visible_to(user)`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

from django.db.models import Prefetch
from django.utils import timezone

from openiop.care.models import CareTeamMember, CareTeamRole, EpisodeOfCare, EpisodeStatus
from openiop.measures.instruments import (
    DefinitionError,
    Instrument,
    builtin_instruments,
    instrument_from_questionnaire,
    normalize_code,
)
from openiop.measures.models import OPEN_STATUSES, Administration, ImportedInstrument, Status
from openiop.measures.scoring import (
    NO_RELIABLE_CHANGE,
    RELIABLE_DETERIORATION,
    RELIABLE_IMPROVEMENT,
    Change,
    classify_change,
)

CURRENT_STATUSES = (EpisodeStatus.ACTIVE, EpisodeStatus.ONHOLD)


# The instrument library ---------------------------------------------------------------------------


def available_instruments(organization_id: int | None) -> dict[str, Instrument]:
    """Built-in instruments plus the organization's imported ones, by code."""
    instruments = dict(builtin_instruments())
    if organization_id is not None:
        for row in _imported_rows(organization_id):
            instruments.setdefault(row[1], _parse_imported(*row))
    return instruments


def instrument_for(code: str, organization_id: int | None) -> Instrument | None:
    """The instrument named `code` ("PHQ-9", "phq9") for an organization, or None."""
    wanted = normalize_code(code)
    # Built-ins first, without a query: an import may not reuse a built-in code
    # (services.import_instrument), so a built-in match is the answer.
    for instrument_code, instrument in builtin_instruments().items():
        if normalize_code(instrument_code) == wanted:
            return instrument
    for instrument_code, instrument in available_instruments(organization_id).items():
        if normalize_code(instrument_code) == wanted:
            return instrument
    return None


def _imported_rows(organization_id: int) -> list[tuple]:
    rows = (
        ImportedInstrument.objects.filter(organization_id=organization_id, active=True)
        .order_by("code", "-imported_at")
        .values_list("pk", "code", "version")
    )
    return list(rows)


@lru_cache(maxsize=256)
def _parse_imported(pk: int, code: str, version: str) -> Instrument:
    # A row is never changed after import (a new version is a new row), so caching by pk is safe.
    questionnaire = ImportedInstrument.objects.values_list("questionnaire", flat=True).get(pk=pk)
    try:
        return instrument_from_questionnaire(questionnaire)
    except DefinitionError as error:  # pragma: no cover - rows are validated at import
        raise DefinitionError(f"imported {code} {version}: {error}") from error


# Due lists ----------------------------------------------------------------------------------------


def due_for_patient(patient, *, today: dt.date | None = None):
    """What the patient should answer now: open administrations due today or earlier, oldest first.
    Used by the portal and the kiosk, which show the patient only their own."""
    today = today or timezone.localdate()
    return (
        Administration.objects.filter(patient=patient, status__in=OPEN_STATUSES, due_on__lte=today)
        .order_by("due_on", "id")
    )


def due_for_clinician(user, *, today: dt.date | None = None):
    """Open measures due (or overdue) for patients on the user's care teams, oldest first."""
    today = today or timezone.localdate()
    on_my_teams = CareTeamMember.objects.filter(user=user, end_date__isnull=True).values("episode_id")
    return (
        Administration.objects.visible_to(user)
        .filter(status__in=OPEN_STATUSES, due_on__lte=today, episode_id__in=on_my_teams)
        .select_related("patient", "episode__program")
        .order_by("due_on", "patient__legal_last_name", "id")
    )


def due_in_programs(user, *, today: dt.date | None = None):
    """Open measures due in the programs the user can see (director's and clinicians' view)."""
    today = today or timezone.localdate()
    return (
        Administration.objects.visible_to(user)
        .filter(status__in=OPEN_STATUSES, due_on__lte=today)
        .select_related("patient", "episode__program")
        .order_by("due_on", "patient__legal_last_name", "id")
    )


# One patient's trends ------------------------------------------------------------------------------


@dataclass
class TrendPoint:
    administration: Administration
    day: dt.date
    total: int
    severity: str
    change: Change | None


@dataclass
class Trend:
    instrument: Instrument
    points: list[TrendPoint]
    baseline: TrendPoint | None
    latest_change: Change | None
    open_administrations: list = field(default_factory=list)

    @property
    def latest(self) -> TrendPoint | None:
        return self.points[-1] if self.points else None


def completed_for_patient(user, patient):
    """Completed administrations of a patient the user may see, oldest first."""
    return (
        Administration.objects.visible_to(user)
        .filter(patient=patient, status=Status.COMPLETED)
        .select_related("episode", "entered_by")
        .order_by("answered_on", "completed_at", "id")
    )


def trends_for_patient(user, patient) -> list[Trend]:
    """One trend per instrument the patient has answered or has due, in the library's order.

    The baseline is the first score of the current (or latest) episode, usually the admission
    one; each later score is judged against it with the instrument's reliable-change rule."""
    administrations = list(completed_for_patient(user, patient))
    open_ones = list(
        Administration.objects.visible_to(user).filter(patient=patient, status__in=OPEN_STATUSES).order_by("due_on")
    )
    episode = _reference_episode(patient)
    library = available_instruments(patient.organization_id)
    codes = list(dict.fromkeys([a.instrument_code for a in administrations] + [a.instrument_code for a in open_ones]))
    trends = []
    for code in sorted(codes, key=lambda c: list(library).index(c) if c in library else len(library)):
        instrument = library.get(code)
        if instrument is None:
            continue
        mine = [a for a in administrations if a.instrument_code == code and a.total is not None]
        trends.append(_trend(instrument, mine, episode, [a for a in open_ones if a.instrument_code == code]))
    return trends


def _reference_episode(patient) -> EpisodeOfCare | None:
    episodes = list(EpisodeOfCare.objects.filter(patient=patient).order_by("-admitted_on", "-id")[:5])
    current = [episode for episode in episodes if episode.status in CURRENT_STATUSES]
    return (current or episodes or [None])[0]


def _trend(instrument: Instrument, administrations: list, episode, open_ones: list) -> Trend:
    in_episode = [a for a in administrations if episode is not None and a.episode_id == episode.pk]
    baseline_admin = (in_episode or administrations or [None])[0]
    baseline_total = baseline_admin.total if baseline_admin else None
    points = []
    for administration in administrations:
        change = None
        if baseline_admin is not None and administration is not baseline_admin and (
            administration.answered_on or dt.date.min
        ) >= (baseline_admin.answered_on or dt.date.min):
            change = classify_change(instrument, baseline_total, administration.total)
        points.append(TrendPoint(
            administration=administration,
            day=administration.answered_on,
            total=administration.total,
            severity=administration.severity,
            change=change,
        ))
    baseline = next((p for p in points if p.administration is baseline_admin), None)
    latest_change = points[-1].change if points else None
    return Trend(instrument=instrument, points=points, baseline=baseline, latest_change=latest_change,
                 open_administrations=open_ones)


def episode_change(instrument: Instrument, administrations: list) -> Change | None:
    """Change from the first to the last of an episode's completed administrations (oldest first)."""
    scored = [a for a in administrations if a.total is not None]
    if len(scored) < 2:
        return None
    return classify_change(instrument, scored[0].total, scored[-1].total)


# Program outcomes -----------------------------------------------------------------------------------


@dataclass
class OutcomeRow:
    program: object
    instrument: Instrument
    timepoint: str                 # "discharge" or "follow_up"
    patients: int = 0              # with a baseline and a score at the timepoint
    improved: int = 0
    recovered: int = 0             # reliable recovery: reliably improved and below caseness
    deteriorated: int = 0
    unchanged: int = 0
    eligible_for_recovery: int = 0  # baseline at or above caseness

    def share(self, count: int, of: int | None = None) -> str:
        of = self.patients if of is None else of
        return "–" if not of else f"{round(100 * count / of)} %"


def program_outcomes(user, *, instrument_codes=("PHQ-9", "GAD-7"), since: dt.date | None = None) -> list[OutcomeRow]:
    """For discharged episodes visible to the user: share with reliable improvement, reliable
    recovery and reliable deterioration from the admission baseline to the discharge score and
    to the last follow-up score, per program (and so per track) and instrument. Two queries."""
    episodes = (
        EpisodeOfCare.objects.visible_to(user)
        .filter(status=EpisodeStatus.FINISHED)
        .select_related("program")
        .prefetch_related(Prefetch(
            "measure_administrations",
            queryset=Administration.objects.filter(
                status=Status.COMPLETED, instrument_code__in=instrument_codes
            ).order_by("answered_on", "id"),
            to_attr="completed_measures",
        ))
        .order_by("program__name", "program_id")
    )
    if since is not None:
        episodes = episodes.filter(discharged_on__gte=since)
    rows: dict[tuple, OutcomeRow] = {}
    library = available_instruments(user.organization_id)
    for episode in episodes:
        for code in instrument_codes:
            instrument = library.get(code)
            if instrument is None:
                continue
            mine = [a for a in episode.completed_measures if a.instrument_code == code]
            for timepoint in ("discharge", "follow_up"):
                change = _timepoint_change(instrument, mine, timepoint)
                if change is None:
                    continue
                row = rows.setdefault((episode.program_id, code, timepoint),
                                      OutcomeRow(program=episode.program, instrument=instrument, timepoint=timepoint))
                _count(row, instrument, change)
    return sorted(rows.values(), key=lambda r: (r.program.name, r.instrument.code, r.timepoint))


def _timepoint_change(instrument, administrations, timepoint) -> Change | None:
    baseline = next((a for a in administrations if a.occasion == "admission"), None) or (
        administrations[0] if administrations else None)
    if baseline is None:
        return None
    if timepoint == "discharge":
        later = [a for a in administrations if a.occasion == "discharge"]
    else:
        later = [a for a in administrations if a.occasion == "follow_up"]
    if not later or later[-1] is baseline:
        return None
    return classify_change(instrument, baseline.total, later[-1].total)


def _count(row: OutcomeRow, instrument: Instrument, change: Change) -> None:
    row.patients += 1
    if change.direction == RELIABLE_IMPROVEMENT:
        row.improved += 1
    elif change.direction == RELIABLE_DETERIORATION:
        row.deteriorated += 1
    elif change.direction == NO_RELIABLE_CHANGE:
        row.unchanged += 1
    if instrument.caseness is not None and change.baseline >= instrument.caseness.at_least:
        row.eligible_for_recovery += 1
    if change.reliably_recovered:
        row.recovered += 1


def primary_clinicians(episode) -> list:
    """The episode's current primary clinicians; after discharge, the ones who were primary on
    the last day (discharge and follow-up measures still need a clinician to read them)."""
    members = CareTeamMember.objects.filter(episode=episode, role=CareTeamRole.PRIMARY_CLINICIAN)
    if episode.status == EpisodeStatus.FINISHED and episode.discharged_on:
        members = members.filter(end_date=episode.discharged_on)
    else:
        members = members.filter(end_date__isnull=True)
    return [member.user for member in members.select_related("user") if member.user.is_active]
