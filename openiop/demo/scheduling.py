"""The demo clinic's schedule: group types with curricula, who leads what and when staff work,
each track's weekly group series, every current patient's free times around work or school, a
solved current week and the weeks before it (back to each patient's admission).

The weeks are built by the same code a clinic uses (`openiop.scheduling.weeks.solve_week`), so
the demo shows real solver results, including the patients it could not fully place and why.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from openiop.care.models import EpisodeOfCare, EpisodeStatus
from openiop.programs.models import CurriculumModule, Room
from openiop.scheduling import availability
from openiop.scheduling.models import (
    CurriculumSlot,
    GroupCategory,
    GroupSeries,
    GroupType,
    StaffAvailability,
    StaffProfile,
    TimeOff,
)
from openiop.scheduling.rules import local_moment, week_of

# (code, name, category, curriculum module titles in rotation order)
GROUP_TYPES = [
    ("process", "Process group", GroupCategory.PROCESS, ()),
    ("skills", "CBT and DBT skills", GroupCategory.SKILLS,
     ("Distress tolerance", "Emotion regulation", "Interpersonal effectiveness", "Thinking traps")),
    ("life-skills", "Psychoeducation and life skills", GroupCategory.PSYCHOEDUCATION,
     ("Money management", "Sleep and routine", "Food and energy", "Job readiness", "Managing stress")),
    ("relapse-prevention", "Relapse prevention", GroupCategory.RELAPSE_PREVENTION,
     ("Triggers and cravings", "High-risk situations", "Refusal skills", "Building support", "A lapse is not a relapse")),
    ("family-education", "Family education", GroupCategory.FAMILY_EDUCATION, ()),
    ("twelve-step", "12-step facilitation", GroupCategory.TWELVE_STEP, ()),
    ("mindfulness", "Mindfulness and movement", GroupCategory.MINDFULNESS, ()),
]

# username: (group types led, individual, family, prescribes, working hours per weekday)
WEEKDAYS = range(5)
STAFF_PROFILES = {
    "therapist": (("process", "relapse-prevention", "life-skills"), True, True, False, {d: ("12:00", "21:30") for d in WEEKDAYS}),
    "counselor": (("process", "relapse-prevention", "twelve-step"), True, True, False, {d: ("12:00", "21:30") for d in WEEKDAYS}),
    "mhtherapist": (("process", "skills", "life-skills", "mindfulness"), True, True, False, {d: ("08:00", "17:00") for d in WEEKDAYS}),
    "codtherapist": (("process", "skills", "relapse-prevention"), True, True, False, {d: ("09:00", "18:00") for d in WEEKDAYS}),
    "teentherapist": (("process", "skills", "family-education"), True, True, False, {d: ("10:30", "19:30") for d in WEEKDAYS}),
    "prescriber": ((), False, False, True, {0: ("09:00", "17:00"), 1: ("12:00", "20:30"), 2: ("09:00", "17:00"), 3: ("12:00", "20:30"), 4: ("09:00", "13:00")}),
    "psychiatrist": ((), False, False, True, {d: ("10:00", "18:30") for d in WEEKDAYS}),
    "nurse": (("mindfulness",), False, False, False, {d: ("11:00", "19:30") for d in WEEKDAYS}),
    "director": (("process", "skills", "life-skills", "mindfulness", "family-education"), False, True, False,
                 {d: ("08:30", "17:00") for d in WEEKDAYS}),
}

# Each track's weekly groups: (program key, name, group type, weekday, start, room name, facilitator).
# The evening substance-use track has 20 people: two groups meet side by side each evening.
SERIES = [
    ("sud", "Evening process group A (Mon)", "process", 0, "18:00", "Group Room C", "therapist"),
    ("sud", "Evening process group B (Mon)", "process", 0, "18:00", "Group Room B", "counselor"),
    ("sud", "Relapse prevention A (Tue)", "relapse-prevention", 1, "18:00", "Group Room C", "therapist"),
    ("sud", "Relapse prevention B (Tue)", "relapse-prevention", 1, "18:00", "Group Room B", "counselor"),
    ("sud", "Life skills (Thu)", "life-skills", 3, "18:00", "Group Room C", "therapist"),
    ("sud", "12-step facilitation (Thu)", "twelve-step", 3, "18:00", "Group Room B", "counselor"),
    ("mh", "Morning process group (Mon)", "process", 0, "09:00", "Group Room 1", "mhtherapist"),
    ("mh", "Skills group (Tue)", "skills", 1, "09:00", "Group Room 1", "mhtherapist"),
    ("mh", "Life skills (Wed)", "life-skills", 2, "09:00", "Group Room 1", "mhtherapist"),
    ("mh", "Skills group (Thu)", "skills", 3, "09:00", "Group Room 1", "mhtherapist"),
    ("mh", "Mindfulness and movement (Fri)", "mindfulness", 4, "09:00", "Group Room 1", "mhtherapist"),
    # The morning track asks for more seats than one room holds: a second, smaller group.
    ("mh", "Morning process group B (Mon)", "process", 0, "09:00", "Group Room 2", "director"),
    ("mh", "Skills group B (Tue)", "skills", 1, "09:00", "Group Room 2", "director"),
    ("mh", "Life skills B (Wed)", "life-skills", 2, "09:00", "Group Room 2", "director"),
    ("mh", "Skills group B (Thu)", "skills", 3, "09:00", "Group Room 2", "director"),
    ("cod", "Afternoon process group (Mon)", "process", 0, "13:00", "Group Room 1", "codtherapist"),
    ("cod", "Relapse prevention (Wed)", "relapse-prevention", 2, "13:00", "Group Room 1", "codtherapist"),
    ("cod", "Mindfulness and movement (Wed)", "mindfulness", 2, "13:00", "Group Room 2", "nurse"),
    ("cod", "Skills group (Fri)", "skills", 4, "13:00", "Group Room 1", "codtherapist"),
    ("adolescent", "After-school process group (Mon)", "process", 0, "15:30", "Group Room A", "teentherapist"),
    ("adolescent", "Teen skills group (Wed)", "skills", 2, "15:30", "Group Room A", "teentherapist"),
    ("adolescent", "Family education (Thu)", "family-education", 3, "15:30", "Group Room A", "teentherapist"),
]
GROUP_MINUTES = 180
# Series began this many weeks before today (before the earliest current admission).
SERIES_WEEKS = 12

# Free times besides the track's hours, for one-to-one sessions: people keep working, so most
# have one extra window (an evening, a lunch hour or a late afternoon).
EXTRA_WINDOWS = {
    "sud": [(2, "16:30", "20:30"), (4, "15:00", "19:00"), (1, "12:00", "13:30"), (3, "12:00", "13:30"), (2, "17:30", "21:00")],
    "mh": [(0, "12:00", "15:00"), (1, "12:00", "14:00"), (2, "12:00", "16:00"), (3, "12:00", "15:00"), (4, "12:00", "14:30")],
    "cod": [(0, "16:00", "18:00"), (1, "10:00", "14:00"), (2, "16:00", "17:30"), (3, "10:00", "15:00"), (4, "16:00", "18:00")],
    "adolescent": [(1, "15:00", "18:00"), (4, "15:00", "18:30"), (0, "18:30", "19:30")],
}


def build_schedule_resources(ctx) -> None:
    """Group types, staff profiles and hours, series, and each current patient's free times."""
    types = build_group_types(ctx)
    build_staff_profiles(ctx, types)
    build_series(ctx, types)
    build_patient_availability(ctx)


def build_group_types(ctx) -> dict[str, GroupType]:
    types = {}
    for code, name, category, modules in GROUP_TYPES:
        group_type = GroupType.objects.create(organization=ctx.organization, code=code, name=name, category=category)
        for position, title in enumerate(modules):
            module, _ = CurriculumModule.objects.get_or_create(
                organization=ctx.organization, title=title, defaults={"topic_area": name},
            )
            CurriculumSlot.objects.create(group_type=group_type, module=module, position=position)
        types[code] = group_type
    return types


def build_staff_profiles(ctx, types) -> None:
    hours = []
    for username, (leads, individual, family, prescribes, days) in STAFF_PROFILES.items():
        user = ctx.staff[username]
        profile = StaffProfile.objects.create(
            user=user, gives_individual=individual, gives_family=family, prescribes=prescribes,
            max_weekly_minutes=40 * 60,
        )
        profile.leads.set([types[code] for code in leads])
        hours += [
            StaffAvailability(user=user, weekday=day, start=dt.time.fromisoformat(start), end=dt.time.fromisoformat(end))
            for day, (start, end) in days.items()
        ]
    StaffAvailability.objects.bulk_create(hours)
    # A planned afternoon off next week, so the calendar shows the solver working around it.
    off_day = week_of(ctx.today) + dt.timedelta(days=9)
    TimeOff.objects.create(
        user=ctx.staff["prescriber"], starts_at=local_moment(off_day, dt.time(12)),
        ends_at=local_moment(off_day, dt.time(21)), reason="Training",
    )


def build_series(ctx, types) -> None:
    rooms = {room.name: room for room in Room.objects.filter(site__organization=ctx.organization)}
    starts_on = week_of(ctx.today) - dt.timedelta(weeks=SERIES_WEEKS)
    GroupSeries.objects.bulk_create(
        GroupSeries(
            program=ctx.programs[key], group_type=types[code], name=name, weekday=day,
            start=dt.time.fromisoformat(start), minutes=GROUP_MINUTES, room=rooms[room],
            facilitator=ctx.staff[facilitator], starts_on=starts_on + dt.timedelta(days=day),
        )
        for key, name, code, day, start, room, facilitator in SERIES
    )


def build_patient_availability(ctx) -> None:
    from openiop.demo.data import PROGRAMS

    track_hours = {spec.key: spec.availability for spec in PROGRAMS}
    keys = {program.pk: key for key, program in ctx.programs.items()}
    episodes = EpisodeOfCare.objects.filter(
        program__organization=ctx.organization, status=EpisodeStatus.ACTIVE,
    ).select_related("patient").order_by("pk")
    for episode in episodes:
        key = keys[episode.program_id]
        windows = [{"day": d, "start": s, "end": e} for d, s, e in track_hours[key]]
        # Most people add one or two more free times for individual sessions; some have none.
        extra = 0 if ctx.rng.random() < 0.1 else (2 if ctx.rng.random() < 0.5 else 1)
        for day, start, end in ctx.rng.sample(EXTRA_WINDOWS[key], extra):
            windows.append({"day": day, "start": start, "end": end})
        availability.set_availability(
            episode.patient, windows, by=ctx.staff["intake"], note="Keeps work or school hours free",
        )


# Past weeks solved (the documentation issue fills them with attendance). Solver time comes from
# settings.OPENIOP_DEMO_SOLVER_SECONDS: this week and next get it, past weeks a fifth of it.
PAST_WEEKS = 8


def build_schedule_weeks(ctx) -> None:
    """Solve the past weeks (oldest first, so continuity carries forward), this week and next.

    Each week is solved as the clinic would have on its Monday morning (`now`), so past weeks and
    the days of this week already gone are filled in too."""
    from django.conf import settings

    from openiop.scheduling.weeks import solve_week

    current_seconds = settings.OPENIOP_DEMO_SOLVER_SECONDS
    past_seconds = max(0.2, current_seconds / 5)
    this_week = week_of(ctx.today)
    for back in range(PAST_WEEKS, 0, -1):
        week = this_week - dt.timedelta(weeks=back)
        solve_week(ctx.organization, week, seconds=past_seconds, by=ctx.staff["director"],
                   now=local_moment(week, dt.time()))
        ctx.report(f"Building demo clinic: schedule of the week of {week:%d %b}")
    for week in (this_week, this_week + dt.timedelta(weeks=1)):
        summary = solve_week(ctx.organization, week, seconds=current_seconds, by=ctx.staff["director"],
                             now=min(timezone.now(), local_moment(week, dt.time())))
        ctx.report(f"Building demo clinic: schedule of the week of {week:%d %b}: {summary_line(summary)}")


def summary_line(summary: dict) -> str:
    return f"{summary.get('meeting_plan', '?')} of {summary.get('patients', '?')} patients fully scheduled"
