"""Shared pieces of the attendance tests: sessions at chosen local times and a patient on them.

Times are written as the clinic's wall clock (America/New_York) through
scheduling.rules.local_moment, and the service does its arithmetic in UTC.
"""

from __future__ import annotations

import datetime as dt

from openiop.attendance import services
from openiop.scheduling.models import Session, SessionKind
from openiop.scheduling.rules import local_moment
from tests.scheduling.screens_clinic import seat


def session_at(program, staff, starts_at: dt.datetime, ends_at: dt.datetime, *, kind=SessionKind.GROUP,
               telehealth=False, status="scheduled", patients=()):
    session = Session.objects.create(program=program, kind=kind, starts_at=starts_at, ends_at=ends_at,
                                     telehealth=telehealth, status=status)
    if staff is not None:
        session.staff.add(staff)
    rows = [seat(session, patient) for patient in patients]
    return session, rows


def local(day: dt.date, hour: int, minute: int = 0, *, fold: int = 0) -> dt.datetime:
    if fold:
        from django.utils import timezone

        wall = dt.datetime.combine(day, dt.time(hour, minute)).replace(tzinfo=timezone.get_current_timezone(), fold=1)
        return wall
    return local_moment(day, dt.time(hour, minute))


def record(actor, row, status, **fields):
    return services.record_attendance(actor=actor, attendee=row, status=status, **fields)
