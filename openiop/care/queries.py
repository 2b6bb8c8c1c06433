"""Reads for charts, lists and caseloads. Each takes the viewing user and only returns what
`visible_to(user)` and the user's chart sections allow."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from openiop.care.models import (
    AdmissionConsent,
    CareTeamMember,
    CareTeamRole,
    Diagnosis,
    EpisodeOfCare,
    EpisodeStatus,
    LevelOfCareChange,
    MedicareCertification,
)
from openiop.patients.models import Coverage, FamilyMember, Patient
from openiop.patients.rules import CLINICAL, COVERAGE, chart_sections
from openiop.programs.models import Program

CURRENT_STATUSES = (EpisodeStatus.ACTIVE, EpisodeStatus.ONHOLD)


def with_list_details(patients):
    """Attach what a patient list row shows (current program, primary clinician) in 2 queries."""
    current_episodes = (
        EpisodeOfCare.objects.filter(status__in=CURRENT_STATUSES)
        .select_related("program")
        .prefetch_related(
            Prefetch(
                "care_team",
                queryset=CareTeamMember.objects.filter(role=CareTeamRole.PRIMARY_CLINICIAN)
                .select_related("user"),
                to_attr="primary_clinicians",
            )
        )
    )
    return patients.prefetch_related(
        Prefetch("episodes", queryset=current_episodes, to_attr="current_episodes")
    )


def patient_list(user, query: str = ""):
    return with_list_details(Patient.objects.visible_to(user).search(query)).order_by(
        "legal_last_name", "legal_first_name", "id"
    )


def caseload(user):
    """Patients with a current episode on whose care team `user` is, for the clinician's home."""
    on_my_teams = CareTeamMember.objects.filter(
        user=user, episode__status__in=CURRENT_STATUSES, end_date__isnull=True
    ).values("episode__patient_id")
    return with_list_details(
        Patient.objects.visible_to(user).filter(pk__in=on_my_teams)
    ).order_by("legal_last_name", "legal_first_name", "id")


def program_census(user):
    """Current patients per program the user can see (director and clinicians' home)."""
    visible = Patient.objects.visible_to(user).values("pk")
    current_and_visible = Q(episodes__status__in=CURRENT_STATUSES) & Q(
        episodes__patient_id__in=visible
    )
    programs = Program.objects.filter(organization_id=user.organization_id, active=True)
    if user.treats_patients:
        # A count of 0 for a program they cannot see would read as "empty": show only theirs.
        programs = programs.filter(pk__in=user.programs.values("pk"))
    return programs.annotate(current=Count("episodes", filter=current_and_visible)).order_by("name")


def treats_patient(user, patient) -> bool:
    """True when the patient is in one of the user's programs or on one of their care teams."""
    in_my_programs = EpisodeOfCare.objects.filter(patient=patient, program__in=user.programs.all())
    on_my_team = CareTeamMember.objects.filter(user=user, episode__patient=patient)
    return in_my_programs.exists() or on_my_team.exists()


@dataclass(frozen=True)
class ChartData:
    patient: Patient
    sections: frozenset
    episodes: list
    diagnoses: list
    coverages: list
    family_members: list
    timeline: list
    # Level-of-care history (clinical), admission consents (enrolment) and Medicare
    # (re)certifications (clinical), across the visible episodes, oldest first.
    level_changes: list = field(default_factory=list)
    consents: list = field(default_factory=list)
    certifications: list = field(default_factory=list)

    @property
    def current_episodes(self):
        return [e for e in self.episodes if e.is_current]

    @property
    def is_part2(self) -> bool:
        return self.patient.is_part2 or any(e.is_part2 for e in self.episodes)


def chart(user, patient: Patient) -> ChartData:
    """Everything the chart page shows about `patient` for `user`, in a fixed number of queries."""
    sections = chart_sections(user)
    episodes = list(
        EpisodeOfCare.objects.visible_to(user)
        .filter(patient=patient)
        .select_related("program", "program__site")
        .prefetch_related(
            Prefetch("care_team", queryset=CareTeamMember.objects.select_related("user")),
            # Each kind filtered by visible_to (and so by the user's sections), one query each;
            # the timeline sources read them from the episodes.
            Prefetch(
                "level_changes",
                queryset=LevelOfCareChange.objects.visible_to(user).select_related("clinician"),
                to_attr="visible_level_changes",
            ),
            Prefetch(
                "consents", queryset=AdmissionConsent.objects.visible_to(user),
                to_attr="visible_consents",
            ),
            Prefetch(
                "certifications", queryset=MedicareCertification.objects.visible_to(user),
                to_attr="visible_certifications",
            ),
        )
    )
    diagnoses = []
    if CLINICAL in sections:
        diagnoses = list(
            Diagnosis.objects.visible_to(user).filter(patient=patient).select_related("episode__program")
        )
    coverages = []
    if COVERAGE in sections:
        coverages = list(Coverage.objects.visible_to(user).filter(patient=patient))
    family = []
    if CLINICAL in sections:
        family = list(FamilyMember.objects.visible_to(user).filter(patient=patient))
    return ChartData(
        patient=patient, sections=sections, episodes=episodes, diagnoses=diagnoses,
        coverages=coverages, family_members=family,
        timeline=build_timeline(episodes=episodes, diagnoses=diagnoses, sections=sections),
        level_changes=sorted(
            (c for e in episodes for c in e.visible_level_changes), key=lambda c: (c.changed_on, c.pk)
        ),
        consents=[c for e in episodes for c in e.visible_consents],
        certifications=sorted(
            (c for e in episodes for c in e.visible_certifications),
            key=lambda c: (c.certified_on, c.pk), reverse=True,
        ),
    )


@dataclass(frozen=True)
class TimelineEntry:
    on: dt.date
    kind: str
    text: str


def episode_entries(*, episodes, diagnoses, sections):
    for episode in episodes:
        yield TimelineEntry(episode.admitted_on, "admission", f"Admitted to {episode.program}")
        if episode.discharged_on:
            reason = episode.get_discharge_reason_display()
            yield TimelineEntry(
                episode.discharged_on, "discharge", f"Discharged from {episode.program}: {reason}"
            )


def diagnosis_entries(*, episodes, diagnoses, sections):
    if CLINICAL not in sections:
        return
    for diagnosis in diagnoses:
        yield TimelineEntry(diagnosis.recorded_on, "diagnosis", f"Diagnosis recorded: {diagnosis}")


def level_of_care_entries(*, episodes, diagnoses, sections):
    """Step-ups and step-downs, and Medicare (re)certifications (both clinical; the episodes
    carry only what `visible_to` let through)."""
    if CLINICAL not in sections:
        return
    levels = dict(EpisodeOfCare._meta.get_field("level_of_care").choices)
    for episode in episodes:
        for change in getattr(episode, "visible_level_changes", ()):
            if not change.from_level:
                continue  # the admission level: the admission entry says it
            yield TimelineEntry(
                change.changed_on, "level_of_care",
                f"Level of care changed from {levels.get(change.from_level, change.from_level)} "
                f"to {levels.get(change.to_level, change.to_level)}: {change.reason}",
            )
        for certification in getattr(episode, "visible_certifications", ()):
            kind = "recertification" if certification.is_recertification else "certification"
            yield TimelineEntry(
                certification.certified_on, "certification",
                f"Medicare {kind} by {certification.physician_name}; next due "
                f"{certification.recertification_due_on:%Y-%m-%d}",
            )


# Each source yields entries from what the chart already loaded. Later parts (notes, measures,
# plans) append their own source here; each must respect `sections`.
TIMELINE_SOURCES = [episode_entries, diagnosis_entries, level_of_care_entries]


def build_timeline(*, episodes, diagnoses, sections) -> list[TimelineEntry]:
    """The chart's timeline, newest first."""
    entries = [
        entry
        for source in TIMELINE_SOURCES
        for entry in source(episodes=episodes, diagnoses=diagnoses, sections=sections)
    ]
    return sorted(entries, key=lambda e: (e.on, e.kind), reverse=True)


@dataclass(frozen=True)
class CensusRow:
    episode: EpisodeOfCare
    days_in_program: int
    primary_clinicians: list

    @property
    def patient(self):
        return self.episode.patient

    @property
    def starts_later(self) -> bool:
        return self.days_in_program < 0


@dataclass(frozen=True)
class CensusGroup:
    program: Program
    rows: list

    @property
    def planned_hours_total(self):
        return sum((row.episode.planned_weekly_hours or 0) for row in self.rows)


def census(user, *, today: dt.date | None = None) -> list[CensusGroup]:
    """Current patients per program (and its track), for the census page, in 3 queries.

    Only patients `visible_to(user)`; clinicians and prescribers see the programs they work in
    and the patients on their care teams (not charts they opened in an emergency). Programs
    without current patients are listed too, so an empty program reads as empty."""
    today = today or timezone.localdate()
    episodes = (
        EpisodeOfCare.objects.visible_to(user)
        .filter(status__in=CURRENT_STATUSES)
        .select_related("patient", "program")
        .prefetch_related(
            Prefetch(
                "care_team",
                queryset=CareTeamMember.objects.filter(
                    role=CareTeamRole.PRIMARY_CLINICIAN, end_date__isnull=True
                ).select_related("user"),
                to_attr="primary_clinicians",
            )
        )
        .order_by("program__name", "program_id", "patient__legal_last_name",
                  "patient__legal_first_name", "id")
    )
    programs = Program.objects.filter(organization_id=user.organization_id, active=True)
    if user.treats_patients:
        mine = user.programs.values("pk")
        on_my_teams = CareTeamMember.objects.filter(user=user, end_date__isnull=True).values("episode_id")
        episodes = episodes.filter(Q(program__in=mine) | Q(pk__in=on_my_teams))
        programs = programs.filter(pk__in=mine)
    groups: dict[int, CensusGroup] = {p.pk: CensusGroup(p, []) for p in programs.order_by("name", "id")}
    for episode in episodes:
        group = groups.get(episode.program_id)
        if group is None:  # a care-team patient in a program the clinician does not work in
            group = groups[episode.program_id] = CensusGroup(episode.program, [])
        group.rows.append(CensusRow(
            episode=episode, days_in_program=(today - episode.admitted_on).days,
            primary_clinicians=[member.user for member in episode.primary_clinicians],
        ))
    return sorted(groups.values(), key=lambda g: (g.program.name, g.program.pk))


RECERTIFICATION_WINDOW_DAYS = 14


def recertifications_due(user, *, within_days: int = RECERTIFICATION_WINDOW_DAYS, today=None):
    """Medicare certifications whose recertification falls due within `within_days` or is
    overdue: the latest certification of each current episode. The director sees every visible
    patient; clinicians and prescribers the patients on their care teams. 1 query."""
    today = today or timezone.localdate()
    newer = MedicareCertification.objects.filter(episode=OuterRef("episode")).filter(
        Q(certified_on__gt=OuterRef("certified_on"))
        | Q(certified_on=OuterRef("certified_on"), pk__gt=OuterRef("pk"))
    )
    due = (
        MedicareCertification.objects.visible_to(user)
        .filter(
            episode__status__in=CURRENT_STATUSES,
            recertification_due_on__lte=today + dt.timedelta(days=within_days),
        )
        .exclude(Exists(newer))
        .select_related("patient", "episode__program")
        .order_by("recertification_due_on", "id")
    )
    if user.treats_patients:
        on_my_teams = CareTeamMember.objects.filter(user=user, end_date__isnull=True).values("episode_id")
        due = due.filter(episode_id__in=on_my_teams)
    return due
