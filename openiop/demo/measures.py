"""The demo clinic's measurement history: weeks of PHQ-9, GAD-7, AUDIT-C and craving scores.

Every current patient is asked what their program's schedule asks (`services.schedules_for`)
from admission to today, one sitting a week, and answers item by item so that their totals
follow a course: most improve, some stay flat, a few get worse (those raise "not on track"
reviews by themselves). Discharged patients get a baseline, a discharge score and the 30- and
90-day follow-ups, so the director's outcomes view has numbers.

Everything is written through the measures services with the day the answers describe
(`answered_on`) and the scheduler's `today=`, so due dates, missed measures, safety alerts,
review tasks, labels and audit events are what production would make. What the services
cannot backdate is listed where it matters below.

The on-call rota lives here too: a safety answer alerts the program's on-call clinician, so
the rota must exist before the first score is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from random import Random

from django.utils import timezone

from openiop.care.models import EpisodeOfCare, EpisodeStatus
from openiop.demo import data
from openiop.measures import queries
from openiop.measures import services as measures
from openiop.measures.instruments import Instrument
from openiop.measures.models import OPEN_STATUSES, Administration, Mode, Occasion, Status
from openiop.programs.models import OnCallShift
from openiop.worklist.models import Task
from openiop.worklist.services import complete_task

IMPROVING = "improving"
FLAT = "flat"
WORSENING = "worsening"
# Worsening courses are given to patients who have been in the program long enough for the
# change to be reliable (PHQ-9: 6 points); this many of them, plus the safety story's patient.
WORSENING_PATIENTS = 3
WORSENING_AFTER_DAYS = 35
FLAT_SHARE = 0.2
# A routine sitting is skipped (and becomes "missed") this often.
SKIP_SHARE = 0.07
# Measures that fell due in the last LEAVE_OPEN_DAYS days stay due, so the due lists and the
# portal have something to show; the portal patient's last week stays open.
LEAVE_OPEN_DAYS = 3
PORTAL_LEAVE_OPEN_DAYS = 7
# Current patients with a short stay so far also have screening scores from before admission
# (the phone screening and the intake assessment), so every chart has a trend to look at.
MIN_COMPLETED_PHQ9 = 3
SCREENING_CODES = ("PHQ-9", "GAD-7")
# Follow-ups that are this old and were never answered are not created (lost to follow-up).
FOLLOW_UP_RESPONSE_SHARE = 0.8
ERROR_REASON = (
    "Answers were keyed against the wrong questions from the paper form; re-entered from the "
    "form the same day."
)
SAFETY_RESOLUTION = (
    "Safety review the same day: passive thoughts only, no plan or intent; safety plan updated "
    "with the patient and shared with their support person. Weekly PHQ-9 continues."
)
ON_CALL_STARTS = dt.time(8, 0)


# --- the on-call rota -----------------------------------------------------------------------


def build_on_call_rota(ctx) -> None:
    """Weekly on-call shifts for every program, from before the earliest admission to four
    weeks ahead, taking turns among `data.ON_CALL_ROTA`'s clinicians (plain rows: a rota is
    configuration, like rooms)."""
    earliest = (
        EpisodeOfCare.objects.filter(patient__organization=ctx.organization)
        .order_by("admitted_on").values_list("admitted_on", flat=True).first()
    ) or ctx.today
    first_monday = earliest - dt.timedelta(days=earliest.weekday() + 7)
    last_day = ctx.today + dt.timedelta(weeks=4)
    zone = timezone.get_current_timezone()
    shifts = []
    for key, usernames in data.ON_CALL_ROTA.items():
        week, monday = 0, first_monday
        while monday <= last_day:
            starts_at = dt.datetime.combine(monday, ON_CALL_STARTS, tzinfo=zone)
            shifts.append(OnCallShift(
                program=ctx.programs[key], clinician=ctx.staff[usernames[week % len(usernames)]],
                starts_at=starts_at, ends_at=starts_at + dt.timedelta(weeks=1),
            ))
            week, monday = week + 1, monday + dt.timedelta(weeks=1)
    OnCallShift.objects.bulk_create(shifts)


# --- courses: what a patient's scores do over time ------------------------------------------


@dataclass
class Course:
    """How one patient's scores move. Levels are fractions of each instrument's maximum."""

    kind: str
    baselines: dict[str, float]
    half_life_weeks: float = 3.0       # improving: weeks for the excess over the floor to halve
    floor: float = 0.35                # improving: share of the baseline left at the end
    slope: float = 0.07                # worsening: fraction of the maximum per week
    relapse_at_follow_up: bool = False
    # Story flags: a recent safety answer (open urgent task), a resolved one at admission,
    # and the one paper form entered in error.
    recent_safety: bool = False
    admission_safety: bool = False
    entered_in_error: bool = False

    def level(self, code: str, weeks: float) -> float:
        start = self.baselines.get(code, 0.4)
        if self.kind == IMPROVING:
            floor = start * self.floor
            return floor + (start - floor) * 0.5 ** (weeks / self.half_life_weeks)
        if self.kind == WORSENING:
            return min(0.93, start + self.slope * weeks)
        return start


def new_course(rng: Random, kind: str) -> Course:
    baselines = {
        # PHQ-9 11-22 and GAD-7 7-17 at admission: most IOP patients start moderate to severe.
        "PHQ-9": rng.uniform(0.42, 0.8),
        "GAD-7": rng.uniform(0.35, 0.8),
        "AUDIT-C": rng.uniform(0.25, 0.85),
        "Craving": rng.uniform(0.4, 0.9),
    }
    if kind == WORSENING:
        # Room to get worse: they start mild to moderate.
        baselines["PHQ-9"] = rng.uniform(0.3, 0.5)
        baselines["GAD-7"] = rng.uniform(0.3, 0.5)
        baselines["Craving"] = rng.uniform(0.3, 0.5)
    return Course(
        kind=kind, baselines=baselines, half_life_weeks=rng.uniform(1.5, 3.0),
        floor=rng.uniform(0.15, 0.4), slope=rng.uniform(0.06, 0.09),
        relapse_at_follow_up=kind == IMPROVING and rng.random() < 0.15,
    )


def target_total(rng: Random, instrument: Instrument, course: Course, weeks: float) -> int:
    level = course.level(instrument.code, weeks) + rng.gauss(0, 0.035)
    return max(instrument.min_total, min(instrument.max_total, round(level * instrument.max_total)))


def answers_for_total(rng: Random, instrument: Instrument, total: int, *, safety: int = 0) -> dict[str, int]:
    """Item answers that add up to `total`: points go to random items one step at a time.
    Safety items (PHQ-9 item 9) stay at their lowest answer unless `safety` gives them a value;
    items that are asked but not scored (PHQ-9 item 10) follow how high the total is."""
    safety_ids = {rule.link_id for rule in instrument.safety_items}
    values = {item.link_id: item.lowest for item in instrument.items}
    for link_id in safety_ids:
        if safety:
            values[link_id] = safety
    remaining = total - sum(values[item.link_id] for item in instrument.scored_items)
    while remaining > 0:
        candidates = []
        for item in instrument.scored_items:
            if item.link_id in safety_ids:
                continue
            step = _next_value(item, values[item.link_id])
            if step is not None and step - values[item.link_id] <= remaining:
                candidates.append((item, step))
        if not candidates:
            break
        item, step = rng.choice(candidates)
        remaining -= step - values[item.link_id]
        values[item.link_id] = step
    share = total / instrument.max_total if instrument.max_total else 0
    for item in instrument.items:
        if not item.scored:
            wanted = item.lowest + share * (item.highest - item.lowest) * 1.3
            values[item.link_id] = min(
                (option.value for option in item.options), key=lambda value: abs(value - wanted))
    return values


def _next_value(item, current: int) -> int | None:
    higher = [option.value for option in item.options if option.value > current]
    return min(higher) if higher else None


# --- the history ----------------------------------------------------------------------------


@dataclass
class HistoryBuilder:
    ctx: object
    rng: Random
    library: dict[str, Instrument]
    today: dt.date
    portal_patient_id: int | None
    courses: dict[int, Course] = field(default_factory=dict)
    completed: int = 0

    # Current patients -----------------------------------------------------------------------

    def plan_current(self, episodes: list) -> None:
        """Give each current episode a course, and pick the patients of the stories."""
        long_stays = [e for e in episodes if (self.today - e.admitted_on).days >= WORSENING_AFTER_DAYS
                      and e.patient_id != self.portal_patient_id]
        three_weeks = [e for e in episodes if (self.today - e.admitted_on).days >= 21
                       and e.patient_id != self.portal_patient_id]
        primary = {e.pk: queries.primary_clinicians(e) for e in episodes}
        worsening = set()
        # The recent safety answers: a worsening patient of `therapist` and a patient of
        # `mhtherapist`, so both demo clinicians open an urgent task.
        recent_safety = []
        for username in ("therapist", "mhtherapist"):
            user = self.ctx.staff[username]
            mine = [e for e in three_weeks if user in primary[e.pk]]
            if mine:
                recent_safety.append(self.rng.choice(mine).pk)
        if recent_safety:
            worsening.add(recent_safety[0])
        others = [e for e in long_stays if e.pk not in recent_safety]
        worsening.update(e.pk for e in self.rng.sample(others, min(WORSENING_PATIENTS, len(others))))
        rest = [e for e in three_weeks if e.pk not in worsening and e.pk not in recent_safety]
        admission_safety = {e.pk for e in self.rng.sample(rest, min(2, len(rest)))}
        error_pool = [e for e in long_stays if e.pk not in worsening and e.pk not in recent_safety]
        entered_in_error = self.rng.choice(error_pool).pk if error_pool else None
        for episode in episodes:
            if episode.pk in worsening:
                kind = WORSENING
            elif episode.patient_id == self.portal_patient_id or episode.pk in admission_safety:
                kind = IMPROVING
            else:
                kind = FLAT if self.rng.random() < FLAT_SHARE else IMPROVING
            course = new_course(self.rng, kind)
            course.recent_safety = episode.pk in recent_safety
            course.admission_safety = episode.pk in admission_safety
            course.entered_in_error = episode.pk == entered_in_error
            self.courses[episode.pk] = course

    def current_history(self, episode) -> None:
        """Weekly sittings from admission to today, then screening scores if the stay is short."""
        course = self.courses[episode.pk]
        patient = episode.patient
        primary = (queries.primary_clinicians(episode) or [None])[0]
        leave_open_days = PORTAL_LEAVE_OPEN_DAYS if patient.pk == self.portal_patient_id else LEAVE_OPEN_DAYS
        day, sittings = episode.admitted_on, 0
        while day <= self.today:
            measures.schedule_for_episode(episode, today=day)
            due = list(Administration.objects.filter(episode=episode, status__in=OPEN_STATUSES, due_on__lte=day)
                       .order_by("due_on", "id"))
            if not due:
                day += dt.timedelta(days=1)
                continue
            newest_due = max(a.due_on for a in due)
            if sittings and not course.recent_safety and newest_due > self.today - dt.timedelta(days=leave_open_days):
                break  # due now: left for the due lists and the portal
            admission = any(a.occasion == Occasion.ADMISSION for a in due)
            if sittings and not admission and not course.recent_safety and self.rng.random() < SKIP_SHARE:
                day = newest_due + dt.timedelta(weeks=1)  # skipped: the scheduler marks it missed
                continue
            lag = 0 if admission else self.rng.choice((0, 0, 0, 1, 1, 2))
            answered_on = min(self.today, newest_due + dt.timedelta(days=lag))
            self.sitting(episode, course, due, answered_on=answered_on, primary=primary,
                         admission=admission, error_story=course.entered_in_error and sittings == 2)
            sittings += 1
            day = answered_on + dt.timedelta(weeks=1)
        self.screening_before_admission(episode, course, primary)

    def sitting(self, episode, course, due, *, answered_on, primary, admission, error_story=False) -> None:
        """One patient answering everything due at one sitting, in one way."""
        patient = episode.patient
        mode, actor = self.mode_for(patient, admission=admission, primary=primary)
        if error_story:
            mode, actor = Mode.PAPER, primary
        weeks = (answered_on - episode.admitted_on).days / 7
        for administration in due:
            instrument = self.library[administration.instrument_code]
            safety = 0
            if instrument.safety_items and (
                (course.recent_safety and answered_on >= self.today - dt.timedelta(days=6))
                or (course.admission_safety and admission)
            ):
                safety = 1
            answers = answers_for_total(self.rng, instrument, target_total(self.rng, instrument, course, weeks),
                                        safety=safety)
            if error_story and instrument.safety_items:
                self.enter_in_error(patient, instrument, answers, answered_on=answered_on, actor=actor)
            done = self.answer(administration, instrument, answers, mode=mode, actor=actor, answered_on=answered_on)
            if safety and course.admission_safety:
                self.resolve_safety_tasks(done, primary)

    def mode_for(self, patient, *, admission: bool, primary):
        """Admission forms are done in the clinic; later ones mostly on the tablet, or on paper.
        Only the `patient` login has a portal account, so only they answer on the portal."""
        roll = self.rng.random()
        if patient.pk == self.portal_patient_id and not admission:
            if roll < 0.7:
                return Mode.PORTAL, self.ctx.staff.get("patient")
            return (Mode.KIOSK, None) if roll < 0.9 else (Mode.PAPER, primary)
        if admission:
            return (Mode.KIOSK, None) if roll < 0.5 else (Mode.PAPER, primary)
        return (Mode.KIOSK, None) if roll < 0.7 else (Mode.PAPER, primary)

    def answer(self, administration, instrument, answers, *, mode, actor, answered_on) -> Administration:
        """Paper goes through the paper path (`record_answers`, which completes the open due
        administration); the tablet and the portal complete the administration itself."""
        self.completed += 1
        if mode == Mode.PAPER:
            return measures.record_answers(
                actor=actor, patient=administration.patient, instrument_code=instrument.code, answers=answers,
                mode=mode, answered_on=answered_on,
            )
        return measures.complete_administration(
            actor=actor, administration=administration, answers=answers, mode=mode, answered_on=answered_on,
        )

    def enter_in_error(self, patient, instrument, answers, *, answered_on, actor) -> None:
        """The demo's one entry in error: the same numbers keyed against the wrong questions,
        withdrawn with a reason; the correct form is then entered as usual."""
        scored = [item.link_id for item in instrument.scored_items
                  if item.link_id not in {rule.link_id for rule in instrument.safety_items}]
        shuffled = [answers[link_id] for link_id in scored]
        shuffled = shuffled[1:] + shuffled[:1]
        wrong = {**answers, **dict(zip(scored, shuffled, strict=True))}
        administration = measures.record_answers(
            actor=actor, patient=patient, instrument_code=instrument.code, answers=wrong, mode=Mode.PAPER,
            answered_on=answered_on,
        )
        measures.mark_entered_in_error(actor=actor, administration=administration, reason=ERROR_REASON)

    def resolve_safety_tasks(self, administration, primary) -> None:
        """An admission safety answer that was reviewed the same day: its tasks are done."""
        for task in Task.objects.filter(topic=f"measures:safety:{administration.pk}", done_at__isnull=True):
            complete_task(actor=primary or task.assignee, task=task, resolution=SAFETY_RESOLUTION)

    def screening_before_admission(self, episode, course, primary) -> None:
        """PHQ-9 and GAD-7 from the phone screening and the intake assessment (paper), for
        patients whose stay is too short to show a trend yet. The services file them as
        additional administrations of the current episode."""
        have = Administration.objects.filter(episode=episode, instrument_code="PHQ-9", status=Status.COMPLETED).count()
        for weeks_before in range(1, MIN_COMPLETED_PHQ9 - have + 1):
            answered_on = episode.admitted_on - dt.timedelta(weeks=weeks_before, days=self.rng.randint(0, 2))
            for code in SCREENING_CODES:
                instrument = self.library[code]
                total = target_total(self.rng, instrument, course, 0) + self.rng.randint(0, 2)
                answers = answers_for_total(self.rng, instrument, min(total, instrument.max_total))
                self.completed += 1
                measures.record_answers(actor=primary, patient=episode.patient, instrument_code=code,
                                        answers=answers, mode=Mode.PAPER, answered_on=answered_on)

    # Discharged patients ----------------------------------------------------------------------

    def discharged_history(self, episode) -> None:
        """Baseline, discharge and the 30- and 90-day follow-ups that have come round.

        The admission administrations were marked missed when the loader discharged the
        patient (before this step runs), and the services cannot complete a missed one, so
        the baseline is filed by `record_answers` as an additional administration on the
        admission day; outcomes use the first score of the episode as its baseline."""
        roll = self.rng.random()
        kind = IMPROVING if roll < 0.65 else FLAT if roll < 0.9 else WORSENING
        course = new_course(self.rng, kind)
        patient = episode.patient
        primary = (queries.primary_clinicians(episode) or [None])[0]
        codes = [self.library_code(s.instrument_code) for s in measures.schedules_for(episode.program)]
        codes = [code for code in codes if code]
        for code in codes:
            instrument = self.library[code]
            answers = answers_for_total(self.rng, instrument, target_total(self.rng, instrument, course, 0))
            self.completed += 1
            measures.record_answers(actor=primary, patient=patient, instrument_code=code, answers=answers,
                                    mode=Mode.PAPER, answered_on=episode.admitted_on)
        stay_weeks = (episode.discharged_on - episode.admitted_on).days / 7
        self.answer_open(episode, course, weeks=stay_weeks, answered_on=episode.discharged_on,
                         mode=Mode.KIOSK, actor=None)
        for days_after in (30, 90):
            due_on = episode.discharged_on + dt.timedelta(days=days_after)
            if due_on > self.today:
                break
            old = due_on < self.today - dt.timedelta(days=measures.FOLLOW_UP_WINDOW_DAYS)
            if old and self.rng.random() > FOLLOW_UP_RESPONSE_SHARE:
                continue  # lost to follow-up: the window passed without a call
            measures.schedule_after_discharge(episode, today=due_on)
            if due_on > self.today - dt.timedelta(days=LEAVE_OPEN_DAYS):
                continue  # due now
            weeks = stay_weeks + days_after / 7
            if course.relapse_at_follow_up and days_after == 90:
                course.kind = FLAT
            answered_on = min(self.today, due_on + dt.timedelta(days=self.rng.randint(0, 4)))
            # Follow-ups are asked by telephone by the former primary clinician.
            self.answer_open(episode, course, weeks=weeks, answered_on=answered_on, mode=Mode.INTERVIEW,
                             actor=primary)

    def answer_open(self, episode, course, *, weeks, answered_on, mode, actor) -> None:
        due = Administration.objects.filter(episode=episode, status__in=OPEN_STATUSES, due_on__lte=answered_on)
        for administration in due.select_related("patient"):
            instrument = self.library[administration.instrument_code]
            answers = answers_for_total(self.rng, instrument, target_total(self.rng, instrument, course, weeks))
            self.completed += 1
            measures.complete_administration(actor=actor, administration=administration, answers=answers,
                                             mode=mode, answered_on=answered_on)

    def library_code(self, code: str) -> str | None:
        instrument = queries.instrument_for(code, self.ctx.organization.pk)
        return instrument.code if instrument else None


def build_measure_history(ctx) -> None:
    """Measurement history for every current and discharged demo patient (see the module)."""
    rng = Random(f"{ctx.seed}-measures")
    library = queries.available_instruments(ctx.organization.pk)
    portal = ctx.portal_patient
    builder = HistoryBuilder(ctx=ctx, rng=rng, library=library, today=ctx.today,
                             portal_patient_id=portal.pk if portal else None)
    episodes = EpisodeOfCare.objects.filter(patient__organization=ctx.organization).select_related(
        "patient", "program").order_by("id")
    current = [e for e in episodes if e.status in queries.CURRENT_STATUSES]
    with_current = {e.patient_id for e in current}
    # A readmitted patient's earlier episode is left as it is: the paper path files answers
    # under the patient's current episode, so it cannot backdate into an earlier one.
    discharged = [e for e in episodes if e.status == EpisodeStatus.FINISHED and e.patient_id not in with_current]
    builder.plan_current(current)
    for episode in current:
        builder.current_history(episode)
    for episode in discharged:
        builder.discharged_history(episode)
    ctx.report(f"Building demo clinic: {builder.completed} measures for "
               f"{len(current)} current and {len(discharged)} discharged patients")
