"""The demo clinic's measurement history: trends to look at, courses of every kind, a safety
alert waiting for a clinician and outcomes for the director.

These checks are mixed into DemoClinicTests (tests/demo/test_demo_clinic.py), so the clinic is
built once for all the demo's checks; each test runs in a savepoint.
"""

import datetime as dt
from collections import Counter

from django.utils import timezone

from openiop.accounts.models import User
from openiop.care.models import EpisodeOfCare
from openiop.demo import data, loader
from openiop.measures import queries
from openiop.measures.instruments import builtin_instruments
from openiop.measures.models import Administration, Mode, Status
from openiop.measures.scoring import (
    NO_RELIABLE_CHANGE,
    RELIABLE_DETERIORATION,
    RELIABLE_IMPROVEMENT,
    classify_change,
)
from openiop.programs.models import OnCallShift
from openiop.programs.queries import on_call_clinicians
from openiop.worklist.models import Task, TaskKind

PHQ9 = builtin_instruments()["PHQ-9"]


def current_episodes():
    return EpisodeOfCare.objects.filter(status__in=queries.CURRENT_STATUSES).select_related("patient", "program")


def phq9_totals(episode) -> list[int]:
    return list(
        Administration.objects.filter(episode=episode, instrument_code="PHQ-9", status=Status.COMPLETED)
        .order_by("answered_on", "id").values_list("total", flat=True)
    )


class DemoMeasuresChecks:
    def test_every_current_patient_has_at_least_three_phq9_scores(self):
        episodes = list(current_episodes())
        assert len(episodes) >= 60
        few = {episode.patient.mrn: phq9_totals(episode) for episode in episodes if len(phq9_totals(episode)) < 3}
        assert few == {}

    def test_courses_improve_stay_flat_and_worsen(self):
        directions = Counter()
        for episode in current_episodes():
            totals = phq9_totals(episode)
            directions[classify_change(PHQ9, totals[0], totals[-1]).direction] += 1
        assert directions[RELIABLE_IMPROVEMENT] >= 10
        assert directions[NO_RELIABLE_CHANGE] >= 5
        assert 1 <= directions[RELIABLE_DETERIORATION] <= 8
        # Most patients are on their way to better, not worse.
        assert directions[RELIABLE_IMPROVEMENT] > directions[RELIABLE_DETERIORATION]

    def test_substance_use_programs_also_ask_audit_c_once_and_craving_weekly(self):
        episode = next(e for e in current_episodes() if e.program.is_part2
                       and (timezone.localdate() - e.admitted_on).days >= 28)
        codes = Counter(Administration.objects.filter(episode=episode, status=Status.COMPLETED)
                        .values_list("instrument_code", flat=True))
        assert codes["AUDIT-C"] == 1
        assert codes["Craving"] >= 3
        mental_health = next(e for e in current_episodes() if e.program.code == "mh-morning")
        assert not Administration.objects.filter(episode=mental_health, instrument_code="AUDIT-C").exists()

    def test_item_9_is_mostly_zero_and_one_or_two_recent_answers_raise_open_urgent_tasks(self):
        completed = Administration.objects.filter(instrument_code="PHQ-9", status=Status.COMPLETED)
        positive = [a for a in completed if a.answers.get("9", 0) > 0]
        assert 0 < len(positive) < completed.count() / 20
        open_urgent = Task.objects.filter(kind=TaskKind.SAFETY, urgent=True, done_at__isnull=True,
                                          topic__startswith="measures:safety:")
        patients = {task.patient_id for task in open_urgent}
        assert 1 <= len(patients) <= 2
        recent = timezone.localdate() - dt.timedelta(days=7)
        for administration in positive:
            if administration.patient_id in patients and administration.answered_on >= recent:
                assert "suicide_risk" in administration.safety_flags
        # A demo clinician login opens one of them on their home page.
        assignees = {task.assignee.username for task in open_urgent}
        assert assignees & {"therapist", "mhtherapist"}

    def test_older_safety_answers_were_reviewed_and_their_tasks_closed(self):
        done = Task.objects.filter(kind=TaskKind.SAFETY, done_at__isnull=False, topic__startswith="measures:safety:")
        assert done.exists()
        assert all(task.resolution for task in done)

    def test_worsening_and_stalled_courses_raise_not_on_track_reviews(self):
        reviews = Task.objects.filter(kind=TaskKind.REVIEW, topic__startswith="measures:not-on-track:")
        assert reviews.filter(topic__endswith=":deterioration").exists()
        assert reviews.filter(topic__endswith=":no-improvement").exists()

    def test_answers_come_from_paper_the_portal_and_the_clinic_tablet(self):
        modes = Counter(Administration.objects.filter(status=Status.COMPLETED).values_list("mode", flat=True))
        assert modes[Mode.PAPER] > 0
        assert modes[Mode.KIOSK] > 0
        assert modes[Mode.PORTAL] > 0
        portal_user = User.objects.get(username="patient")
        assert Administration.objects.filter(mode=Mode.PORTAL).exclude(patient=portal_user.patient).count() == 0

    def test_one_paper_form_was_entered_in_error_with_a_reason(self):
        withdrawn = Administration.objects.filter(status=Status.ENTERED_IN_ERROR)
        assert withdrawn.count() == 1
        assert withdrawn.get().error_reason.strip()

    def test_measures_due_now_are_left_for_the_due_lists_and_the_portal(self):
        today = timezone.localdate()
        due = Administration.objects.filter(status__in=[Status.DUE, Status.IN_PROGRESS], due_on__lte=today,
                                            due_on__gte=today - dt.timedelta(days=7))
        assert due.count() >= 10
        portal_patient = User.objects.get(username="patient").patient
        assert queries.due_for_patient(portal_patient).exists()
        assert queries.due_for_clinician(User.objects.get(username="therapist")).exists()

    def test_every_program_has_a_clinician_on_call_now(self):
        for spec in data.PROGRAMS:
            program = loader.Program.objects.get(code=spec.code)
            assert on_call_clinicians(program), spec.code
        first_admission = EpisodeOfCare.objects.order_by("admitted_on").first().admitted_on
        assert OnCallShift.objects.order_by("starts_at").first().starts_at.date() <= first_admission

    def test_the_director_sees_outcomes_at_discharge_and_follow_up(self):
        rows = queries.program_outcomes(User.objects.get(username="director"))
        assert rows
        assert {row.timepoint for row in rows} == {"discharge", "follow_up"}
        assert {row.instrument.code for row in rows} == {"PHQ-9", "GAD-7"}
        assert sum(row.improved for row in rows) > 0
        assert all(row.patients > 0 for row in rows)
