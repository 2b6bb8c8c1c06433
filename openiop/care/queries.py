"""Reads for charts, lists and caseloads. Each takes the viewing user and only returns what
`visible_to(user)` and the user's chart sections allow."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q

from openiop.care.models import (
    CareTeamMember,
    CareTeamRole,
    Diagnosis,
    EpisodeOfCare,
    EpisodeStatus,
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
            Prefetch("care_team", queryset=CareTeamMember.objects.select_related("user"))
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


# Each source yields entries from what the chart already loaded. Later parts (notes, measures,
# plans) append their own source here; each must respect `sections`.
TIMELINE_SOURCES = [episode_entries, diagnosis_entries]


def build_timeline(*, episodes, diagnoses, sections) -> list[TimelineEntry]:
    """The chart's timeline, newest first."""
    entries = [
        entry
        for source in TIMELINE_SOURCES
        for entry in source(episodes=episodes, diagnoses=diagnoses, sections=sections)
    ]
    return sorted(entries, key=lambda e: (e.on, e.kind), reverse=True)
