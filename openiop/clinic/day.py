"""The clinician's day on /clinic/: today's sessions with their rosters, the notes to write and
sign, the co-signatures waiting, and patients who fell below their weekly hours.

Everything here is read through the domain apps' queries (each access-checked and with a fixed
number of queries); this module only puts them together for the home page and records, in one
audit write, every patient whose name the page shows. The director gets the same parts at the
organization's scale: the compliance list of overdue unsigned notes, every patient below the band.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from openiop.accounts.enums import TREATING_ROLES, Role
from openiop.attendance import queries as attendance_queries
from openiop.documentation import queries as note_queries
from openiop.medical import queries as medical_queries
from openiop.scheduling import queries as schedule_queries
from openiop.scheduling.rules import week_of

# How many rows of each list the home page shows before "see all".
SHOWN = 10


@dataclass
class Day:
    today: dt.date
    now: dt.datetime
    sessions: list = field(default_factory=list)        # SessionRow, the user's own sessions today
    to_write: list = field(default_factory=list)        # documentation.queries.ToWrite
    drafts: list = field(default_factory=list)          # documentation.queries.NoteRow, the user's drafts
    cosigns: list = field(default_factory=list)         # Note waiting for the user's co-signature
    overdue: list = field(default_factory=list)         # NoteRow past the signing limit
    below_band: list = field(default_factory=list)      # attendance.queries.AttendedRow, last full week
    last_week: dt.date | None = None
    unexpected_screens: list = field(default_factory=list)  # DrugScreenResult, last 14 days

    def patients_shown(self) -> list:
        """Every patient named on the page, once (for the audit trail)."""
        seen = {}
        for row in self.sessions:
            for patient in row.patients:
                seen[patient.pk] = patient
        for item in self.to_write:
            for patient in item.patients:
                seen[patient.pk] = patient
        for row in [*self.drafts, *self.overdue]:
            if row.patient is not None:
                seen[row.patient.pk] = row.patient
        for note in self.cosigns:
            seen[note.patient.pk] = note.patient
        for row in self.below_band:
            seen[row.patient.pk] = row.patient
        for result in self.unexpected_screens:
            seen[result.patient.pk] = result.patient
        return list(seen.values())


def has_a_day(user) -> bool:
    return user.role in TREATING_ROLES or user.role == Role.DIRECTOR


def build_day(user, *, now: dt.datetime | None = None) -> Day:
    """The parts of the home page that are about today's clinical work, for `user`."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    last_week = week_of(today) - dt.timedelta(days=7)
    day = Day(today=today, now=now, last_week=last_week)
    day.below_band = attendance_queries.below_band(user, last_week)
    day.unexpected_screens = medical_queries.unexpected_results(user, since=today - dt.timedelta(days=14))
    day.cosigns = note_queries.cosigns_waiting(user)
    day.overdue = note_queries.unsigned_overdue(user, now=now)
    if user.role in TREATING_ROLES:
        day.sessions = _my_sessions(user, today, now)
        day.to_write = note_queries.notes_to_write(user, now=now)
        day.drafts = note_queries.drafts_of(user)
        _mark_sessions(day, user)
    return day


def _my_sessions(user, today: dt.date, now: dt.datetime) -> list:
    rows = schedule_queries.day_sessions(user, today, staff=user)
    for row in rows:
        row.is_now = not row.session.is_cancelled and row.session.starts_at <= now < row.session.ends_at
        row.started = not row.session.is_cancelled and row.session.starts_at <= now
    return rows


def _mark_sessions(day: Day, user) -> None:
    """Flag today's sessions whose attendance is still to take or whose notes are still to write."""
    to_take = {session.pk for session in attendance_queries.sessions_to_take(user, day.today, day.now)}
    to_write = {item.session.pk for item in day.to_write}
    for row in day.sessions:
        row.needs_attendance = row.session.pk in to_take
        row.needs_note = row.session.pk in to_write
