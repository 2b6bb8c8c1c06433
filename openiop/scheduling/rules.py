"""Small rules about the calendar shared by the solver glue, the screens and the feeds."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def week_of(day: dt.date) -> dt.date:
    """The Monday of the week holding `day` (weeks run Monday to Sunday)."""
    return day - dt.timedelta(days=day.weekday())


def week_days(week_start: dt.date) -> list[dt.date]:
    return [week_start + dt.timedelta(days=offset) for offset in range(7)]


def local_moment(day: dt.date, at: dt.time) -> dt.datetime:
    """An aware datetime for the clinic's wall-clock time `at` on `day` (its TIME_ZONE), so a
    group that meets at 18:00 meets at 18:00 on both sides of a daylight-saving change."""
    return timezone.make_aware(dt.datetime.combine(day, at))


def week_bounds(week_start: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The aware start of Monday and of the next Monday."""
    return local_moment(week_start, dt.time()), local_moment(week_start + dt.timedelta(days=7), dt.time())


def minutes_after_midnight(moment: dt.datetime) -> int:
    local = timezone.localtime(moment)
    return local.hour * 60 + local.minute


def module_for(series, number: int):
    """The curriculum module of the series' `number`-th session (0-based), rotating through the
    group type's modules in order; None when the group type has no curriculum."""
    slots = list(series.group_type.slots.all())
    if not slots:
        return None
    return slots[number % len(slots)].module


def plus_minutes(moment: dt.datetime, minutes: int) -> dt.datetime:
    """`moment` + `minutes` of real time. Adding a timedelta to a datetime in a zone moves its
    wall clock, which is an hour off across a daylight-saving change; this adds in UTC."""
    return (moment.astimezone(dt.UTC) + dt.timedelta(minutes=minutes)).astimezone(moment.tzinfo)
