"""A small scheduling setup for the hand-edit, conflict and screen tests: rooms, a group type
with a curriculum, staff profiles and a weekly series, all at a frozen "now".

Now is Tuesday 1 December 2026, 09:00 in the clinic's time zone (America/New_York); the week
runs Monday 30 November to Sunday 6 December. Every person is synthetic.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from openiop.programs.models import CurriculumModule, Room
from openiop.scheduling.models import (
    Attendee,
    CurriculumSlot,
    GroupSeries,
    GroupType,
    SeriesMembership,
    Session,
    SessionKind,
    StaffAvailability,
    StaffProfile,
)
from openiop.scheduling.rules import local_moment
from tests.factories.clinic import admit, make_patient

CLINIC_TZ = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=CLINIC_TZ)
TODAY = dt.date(2026, 12, 1)          # a Tuesday
WEEK = dt.date(2026, 11, 30)          # its Monday
WEDNESDAY = dt.date(2026, 12, 2)


def frozen():
    """Travel to NOW (the clock stands still): use as an autouse fixture's body."""
    return time_machine.travel(NOW, tick=False)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return local_moment(day, dt.time(hour, minute))


def build_setup(clinic, clinician, patient_record):
    """Rooms, a process group with a three-module rotation, the clinician able to lead it and to
    give individual and family sessions (working 09:00-21:30 on weekdays), a prescriber, and a
    second patient in the substance-use program."""
    organization, site = clinic["organization"], clinic["site"]
    group_room = Room.objects.create(site=site, name="Group room A", capacity=12)
    office = Room.objects.create(site=site, name="Office 1", capacity=3)
    group_type = GroupType.objects.create(organization=organization, code="process", name="Process group",
                                          category="process", max_size=12)
    modules = [CurriculumModule.objects.create(organization=organization, topic_area="Relapse prevention", title=title)
               for title in ("Triggers", "Cravings", "Sleep")]
    for position, module in enumerate(modules):
        CurriculumSlot.objects.create(group_type=group_type, module=module, position=position)
    profile = StaffProfile.objects.create(user=clinician, gives_individual=True, gives_family=True)
    profile.leads.add(group_type)
    for weekday in range(5):
        StaffAvailability.objects.create(user=clinician, weekday=weekday, start=dt.time(9), end=dt.time(21, 30))
    second = make_patient(organization=organization, program=clinic["sud"], legal_first_name="Dana",
                          legal_last_name="Okafor", date_of_birth=dt.date(1992, 3, 4))
    admit(patient=second, program=clinic["sud"], clinician=clinician)
    return {
        **clinic, "group_room": group_room, "office": office, "group_type": group_type, "modules": modules,
        "clinician": clinician, "patient": patient_record, "second": second,
    }


def make_series(setup, *, weekday=2, start=dt.time(18), starts_on=dt.date(2026, 11, 4), minutes=180, **fields):
    """The evening process group (Wednesdays 18:00 by default), led by the clinician."""
    return GroupSeries.objects.create(
        program=setup["sud"], group_type=setup["group_type"], name=fields.pop("name", "Evening process group"),
        weekday=weekday, start=start, minutes=minutes, room=setup["group_room"], facilitator=setup["clinician"],
        starts_on=starts_on, **fields)


def series_session(series, day: dt.date, *, module=None, patients=(), membership_for=None):
    """A session of the series written directly (past sessions cannot be booked through the services)."""
    starts_at = local_moment(day, series.start)
    session = Session.objects.create(
        program=series.program, kind=SessionKind.GROUP, series=series, group_type=series.group_type, module=module,
        starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=series.minutes), room=series.room,
        source="solver")
    session.staff.add(series.facilitator)
    for patient in patients:
        seat(session, patient, membership=(membership_for or {}).get(patient.pk))
    return session


def seat(session, patient, *, membership=None):
    episode = patient.episodes.get(program=session.program, status="active")
    row = Attendee(session=session, patient=patient, episode=episode, membership=membership)
    row.label_for_program(session.program)
    row.save()
    return row


def member(series, patient, *, joined_on):
    episode = patient.episodes.get(program=series.program, status="active")
    membership = SeriesMembership(series=series, patient=patient, episode=episode, joined_on=joined_on)
    membership.label_for_program(series.program)
    membership.save()
    return membership


def one_to_one(setup, starts_at, *, patient=None, kind=SessionKind.INDIVIDUAL, minutes=60, room=None, staff=None,
               status="scheduled"):
    session = Session.objects.create(
        program=setup["sud"], kind=kind, starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=minutes),
        room=room if room is not None else setup["office"], status=status, source="hand", fixed=True)
    session.staff.add(staff or setup["clinician"])
    if patient is not None:
        seat(session, patient)
    return session


def attend(session, *, status="present", patients=None):
    """Record attendance for the session's roster (or only `patients`) directly, minutes = the
    whole session: a past session whose module then counts as covered."""
    from openiop.attendance.models import Attendance

    recorder = session.staff.first()
    for row in session.attendees.all():
        if patients is not None and row.patient not in patients:
            continue
        attended = status in ("present", "late", "left_early")
        record = Attendance(attendee=row, session=session, patient=row.patient, episode=row.episode, status=status,
                            minutes=session.minutes if attended else 0, recorded_by=recorder, updated_by=recorder)
        record.label_for_program(session.program)
        record.save()
