"""Pure attendance arithmetic: minutes from check-in and check-out instants, the defaults each
status implies, and the checks on the times. No database here, so every rule is tested on its own.

Why minutes are exact. Every instant is converted to UTC before subtracting. Python subtracts two
datetimes that share a `tzinfo` object as wall-clock times, so 00:30 to 03:30 on the night the
clocks go back would come out as 180 minutes; in UTC it is the 240 minutes that really passed.
Minutes are whole minutes (seconds dropped) of the overlap of the patient's stay with the
session's own times: arriving early or staying late never adds minutes the program did not run.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

UTC = dt.UTC
# A time more than this far before the start or after the end is a typo, not an early arrival.
SLACK = dt.timedelta(hours=2)
# Decimal places of hours shown (minutes stay the exact figure; hours are for reading).
HOURS_PLACES = Decimal("0.01")

PRESENT = "present"
LATE = "late"
LEFT_EARLY = "left_early"
ABSENT_EXCUSED = "absent_excused"
ABSENT_UNEXCUSED = "absent_unexcused"
ATTENDED = (PRESENT, LATE, LEFT_EARLY)
ABSENT = (ABSENT_EXCUSED, ABSENT_UNEXCUSED)

FIELD_NAMES = {"checked_in_at": "Check-in", "checked_out_at": "Check-out"}


def utc(moment: dt.datetime) -> dt.datetime:
    if timezone.is_naive(moment):
        raise ValueError("Attendance times must be aware datetimes.")
    return moment.astimezone(UTC)


def whole_minutes(start: dt.datetime, end: dt.datetime) -> int:
    """Whole minutes from `start` to `end` as really elapsed (0 when end is not after start)."""
    seconds = (utc(end) - utc(start)).total_seconds()
    return int(seconds // 60) if seconds > 0 else 0


def overlap_minutes(checked_in_at, checked_out_at, starts_at, ends_at) -> int:
    """Whole minutes of [checked_in_at, checked_out_at] inside [starts_at, ends_at]."""
    start = max(utc(checked_in_at), utc(starts_at))
    end = min(utc(checked_out_at), utc(ends_at))
    return whole_minutes(start, end)


def hours(minutes: int) -> Decimal:
    """Minutes as hours to two places (for reading; sums are always made of minutes)."""
    return (Decimal(int(minutes)) / Decimal(60)).quantize(HOURS_PLACES, rounding=ROUND_HALF_UP)


def resolve_times(status, checked_in_at, checked_out_at, starts_at, ends_at, *, now=None):
    """The check-in and check-out a status means, with the defaults filled in, and the errors.

    Returns (checked_in_at, checked_out_at, minutes, errors) where errors is {field: message}.
    - present: no times = the whole session; times given are used (clipped to the session).
    - late: check-in required and after the start; check-out defaults to the end.
    - left early: check-out required and before the end; check-in defaults to the start.
    - absent (excused or not): no times and 0 minutes.
    `now`, when given, refuses a check-in in the future (a check-out may be ahead: a roster taken
    at the start of a group expects people to stay to the end).
    """
    errors: dict[str, str] = {}
    if status in ABSENT:
        if checked_in_at is not None:
            errors["checked_in_at"] = "An absence has no check-in time: leave it empty."
        if checked_out_at is not None:
            errors["checked_out_at"] = "An absence has no check-out time: leave it empty."
        return None, None, 0, errors
    if status not in ATTENDED:
        return None, None, 0, {"status": "Choose present, late, left early, or absent (excused or not)."}
    if status == LATE and checked_in_at is None:
        errors["checked_in_at"] = "Give the time the patient arrived."
    if status == LEFT_EARLY and checked_out_at is None:
        errors["checked_out_at"] = "Give the time the patient left."
    if errors:
        return None, None, 0, errors
    checked_in_at = checked_in_at if checked_in_at is not None else starts_at
    checked_out_at = checked_out_at if checked_out_at is not None else ends_at
    for field, moment in (("checked_in_at", checked_in_at), ("checked_out_at", checked_out_at)):
        if utc(moment) < utc(starts_at) - SLACK or utc(moment) > utc(ends_at) + SLACK:
            errors[field] = (f"{FIELD_NAMES[field]} is far outside the session's times "
                             f"({_local(starts_at)}–{_local(ends_at)}): check the time.")
    if "checked_in_at" not in errors and utc(checked_in_at) >= utc(ends_at):
        errors["checked_in_at"] = "Check-in is at or after the end of the session: record an absence instead."
    if "checked_out_at" not in errors and utc(checked_out_at) <= utc(starts_at):
        errors["checked_out_at"] = "Check-out is at or before the start of the session: record an absence instead."
    if not errors and utc(checked_out_at) < utc(checked_in_at):
        errors["checked_out_at"] = "Check-out is before check-in."
    if not errors and status == LATE and utc(checked_in_at) <= utc(starts_at):
        errors["checked_in_at"] = f"A late arrival checks in after the start ({_local(starts_at)}); otherwise choose Present."
    if not errors and status == LEFT_EARLY and utc(checked_out_at) >= utc(ends_at):
        errors["checked_out_at"] = f"Leaving early means checking out before the end ({_local(ends_at)}); otherwise choose Present."
    if not errors and now is not None and utc(checked_in_at) > utc(now):
        errors["checked_in_at"] = "Check-in is in the future."
    if errors:
        return None, None, 0, errors
    return checked_in_at, checked_out_at, overlap_minutes(checked_in_at, checked_out_at, starts_at, ends_at), {}


def moment_near(local_time: dt.time, starts_at: dt.datetime, ends_at: dt.datetime) -> dt.datetime:
    """The instant a wall-clock time typed on the roster means: on the session's local start
    day or end day (a session from 22:30 to 00:30 has a check-out of 00:15 on the next day),
    whichever lies nearest the session. A time that happens twice (the hour the clocks go back)
    is taken as its first occurrence unless only the second lies inside the session."""
    zone = timezone.get_current_timezone()
    start_day = timezone.localtime(starts_at).date()
    end_day = timezone.localtime(ends_at).date()
    candidates = []
    for day in dict.fromkeys((start_day, end_day, start_day - dt.timedelta(days=1))):
        for fold in (0, 1):
            wall = dt.datetime.combine(day, local_time).replace(tzinfo=zone, fold=fold)
            instant = wall.astimezone(UTC)
            if instant not in candidates:
                candidates.append(instant)

    def distance(instant):
        if utc(starts_at) <= instant <= utc(ends_at):
            return dt.timedelta(0)
        return min(abs(instant - utc(starts_at)), abs(instant - utc(ends_at)))

    best = min(candidates, key=distance)
    return best.astimezone(zone)


def _local(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M}"
