"""What stands in the way of a session placed by hand, in plain words.

`conflicts_for` checks one session (a new one, or an existing one being moved or given another
patient) against the calendar and the clinic's rules and names each problem: who or what is
already booked then (and in which session), room seats, the group type's size cap, staff hours,
time off, qualifications and weekly maximum of minutes, and the patient's own free times.

Everything is a hard conflict except "the patient said they are not free then": that one is a
warning, because patients do agree to come at other times (a day off work, say). The screens
show it with a "Book anyway: the patient agreed" tick box; the services refuse it without one.

Cancelled sessions never conflict. The checks cost a fixed number of queries (nine at most),
whatever the number of staff, patients and sessions on the calendar.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from openiop.scheduling.models import (
    Attendee,
    PatientAvailability,
    Session,
    SessionKind,
    SessionStatus,
    StaffAvailability,
    StaffProfile,
    TimeOff,
)
from openiop.scheduling.rules import week_bounds, week_of

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# What each one-to-one service asks of the staff member, as StaffProfile field and a sentence.
QUALIFICATIONS = {
    SessionKind.INDIVIDUAL: ("gives_individual", "does not give individual therapy"),
    SessionKind.FAMILY: ("gives_family", "does not give family sessions"),
    SessionKind.MEDICATION: ("prescribes", "may not prescribe, so cannot hold a medication management visit"),
}


class Conflict(str):
    """One problem, in plain words. `warning` is True for what the user may override (the
    patient agreed to come outside their usual free times); everything else is hard."""

    warning: bool

    def __new__(cls, message: str, *, warning: bool = False):
        conflict = super().__new__(cls, message)
        conflict.warning = warning
        return conflict


class ScheduleConflict(Exception):
    """Raised by the scheduling services when a hand edit cannot be saved; nothing was saved.

    `messages` names every problem. `needs_agreement` is True when the only problems are
    warnings (the patient's free times), which the user may override by saying the patient
    agreed."""

    def __init__(self, messages):
        self.messages = [m if isinstance(m, Conflict) else Conflict(str(m)) for m in messages]
        super().__init__(" ".join(self.messages))

    @property
    def needs_agreement(self) -> bool:
        return bool(self.messages) and all(message.warning for message in self.messages)


def hard(conflicts) -> list[Conflict]:
    return [c for c in conflicts if not getattr(c, "warning", False)]


def blocking(conflicts, *, patient_agreed: bool = False) -> list[Conflict]:
    """The conflicts that stop a save: the hard ones, and the warnings unless the patient agreed."""
    if patient_agreed:
        return hard(conflicts)
    return list(conflicts)


def when(session) -> str:
    """e.g. "Tue 1 Dec 18:00–21:00" in the clinic's time zone."""
    start, end = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
    return f"{start:%a} {start.day} {start:%b %H:%M}–{end:%H:%M}"


def seats_needed(kind: str, patients: int, staff: int) -> int:
    """People in the room: the patients, the staff, and for a family session the family."""
    return patients + staff + (1 if kind == SessionKind.FAMILY else 0)


def conflicts_for(*, starts_at, ends_at, room, staff, patients, kind, exclude_session=None, group_type=None,
                  user=None, seated_patients: int = 0, recheck_staff_and_room: bool = True) -> list[Conflict]:
    """Every conflict of a session from `starts_at` to `ends_at` in `room` (None: telehealth)
    with `staff` (users) and `patients`, as plain-language messages.

    `exclude_session`: the session being changed (it never conflicts with itself).
    `user`: who is asking; only patients they may see are named (others are "a patient").
    `seated_patients`: patients already on the roster who stay as they are; they count for
    the room's seats and the group's size but are not checked again (adding one patient).
    `recheck_staff_and_room=False`: the time, room and staff are unchanged, so their bookings,
    hours and qualifications are not checked again (only the patients and the seats are).
    """
    staff = list(staff)
    patients = list(patients)
    conflicts: list[Conflict] = []
    names = _patient_names(user, patients)
    conflicts += _double_bookings(starts_at, ends_at, room if recheck_staff_and_room else None,
                                  staff if recheck_staff_and_room else [], patients, names, exclude_session)
    conflicts += _seats(kind, room, group_type, len(patients) + seated_patients, len(staff))
    if recheck_staff_and_room and staff:
        conflicts += _staff_hours(starts_at, ends_at, staff)
        conflicts += _time_off(starts_at, ends_at, staff)
        profiles = _profiles(kind, group_type, staff)
        conflicts += _qualifications(kind, group_type, staff, profiles)
        conflicts += _weekly_minutes(starts_at, ends_at, staff, profiles, exclude_session)
    conflicts += _patient_free_times(starts_at, ends_at, patients, names)
    return conflicts


# The checks ----------------------------------------------------------------------------------------


def _patient_names(user, patients) -> dict[int, str]:
    """The names the user may see, by patient id; the others are described without a name."""
    if user is None or not patients:
        return {}
    from openiop.patients.models import Patient

    visible = set(Patient.objects.visible_to(user).filter(pk__in=[p.pk for p in patients]).values_list("pk", flat=True))
    return {p.pk: p.display_name for p in patients if p.pk in visible}


def _named(names, patient, *, capital=True) -> str:
    return names.get(patient.pk) or ("A patient on this session" if capital else "a patient on this session")


def _double_bookings(starts_at, ends_at, room, staff, patients, names, exclude_session) -> list[Conflict]:
    staff_ids = [member.pk for member in staff]
    patient_ids = [patient.pk for patient in patients]
    holders = Q()
    if room is not None:
        holders |= Q(room=room)
    if staff_ids:
        holders |= Q(staff__in=staff_ids)
    if patient_ids:
        holders |= Q(attendees__patient__in=patient_ids)
    if not holders:
        return []
    overlapping = (
        Session.objects.filter(holders, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .exclude(status=SessionStatus.CANCELLED).select_related("group_type").distinct().order_by("starts_at", "pk")
    )
    if exclude_session is not None and exclude_session.pk:
        overlapping = overlapping.exclude(pk=exclude_session.pk)
    others = list(overlapping)
    if not others:
        return []
    ids = [other.pk for other in others]
    staffed = defaultdict(set)
    for session_id, user_id in Session.staff.through.objects.filter(
            session_id__in=ids, user_id__in=staff_ids).values_list("session_id", "user_id"):
        staffed[session_id].add(user_id)
    seated = defaultdict(set)
    if patient_ids:
        for session_id, patient_id in Attendee.objects.filter(
                session_id__in=ids, patient_id__in=patient_ids).values_list("session_id", "patient_id"):
            seated[session_id].add(patient_id)
    conflicts = []
    for other in others:
        booked = f"{other.title}, {when(other)}"
        for patient in patients:
            if patient.pk in seated[other.pk]:
                conflicts.append(Conflict(f"{_named(names, patient)} is already booked then: {booked}."))
        for member in staff:
            if member.pk in staffed[other.pk]:
                conflicts.append(Conflict(f"{member.display_name} is already booked then: {booked}."))
        if room is not None and other.room_id == room.pk:
            conflicts.append(Conflict(f"{room.name} is already booked then: {booked}."))
    return conflicts


def _seats(kind, room, group_type, patients: int, staff: int) -> list[Conflict]:
    conflicts = []
    if room is not None:
        needed = seats_needed(kind, patients, staff)
        if needed > room.capacity:
            family = " and the family" if kind == SessionKind.FAMILY else ""
            conflicts.append(Conflict(
                f"{room.name} seats {room.capacity}; this session needs {needed} "
                f"({patients} patient{'s' if patients != 1 else ''}, {staff} staff{family})."))
    if kind == SessionKind.GROUP and group_type is not None and patients > group_type.max_size:
        conflicts.append(Conflict(
            f"{group_type.name} groups take at most {group_type.max_size} patients; this one would have {patients}."))
    return conflicts


def _local_span(starts_at, ends_at) -> tuple[int, dt.time, dt.time, bool]:
    """(weekday, start, end, same_day) in the clinic's time zone."""
    start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    same_day = start.date() == end.date() or (end - dt.timedelta(microseconds=1)).date() == start.date()
    end_time = end.time() if end.date() == start.date() else dt.time(23, 59, 59)
    return start.weekday(), start.time(), end_time, same_day


def _hours(start: dt.time, end: dt.time) -> str:
    return f"{start:%H:%M}–{end:%H:%M}"


def _staff_hours(starts_at, ends_at, staff) -> list[Conflict]:
    """Staff must work then. Someone with no working hours on record is not checked: their
    hours are unknown, not "never" (the administrator has not entered them yet)."""
    weekday, start, end, same_day = _local_span(starts_at, ends_at)
    rows = defaultdict(list)
    for row in StaffAvailability.objects.filter(user__in=[member.pk for member in staff]):
        rows[row.user_id].append(row)
    conflicts = []
    for member in staff:
        theirs = rows.get(member.pk)
        if not theirs:
            continue
        that_day = sorted((r for r in theirs if r.weekday == weekday), key=lambda r: r.start)
        if same_day and any(r.start <= start and end <= r.end for r in that_day):
            continue
        day = WEEKDAY_NAMES[weekday]
        if not that_day:
            conflicts.append(Conflict(f"{member.display_name} does not work on {day}s."))
        else:
            hours = ", ".join(_hours(r.start, r.end) for r in that_day)
            conflicts.append(Conflict(f"{member.display_name} does not work then: their hours on {day} are {hours}."))
    return conflicts


def _time_off(starts_at, ends_at, staff) -> list[Conflict]:
    conflicts = []
    seen = set()
    for off in (TimeOff.objects.filter(user__in=[m.pk for m in staff], starts_at__lt=ends_at, ends_at__gt=starts_at)
                .select_related("user").order_by("starts_at")):
        if off.user_id in seen:
            continue
        seen.add(off.user_id)
        until = timezone.localtime(off.ends_at)
        conflicts.append(Conflict(
            f"{off.user.display_name} is on time off then (until {until:%a} {until.day} {until:%b %H:%M})."))
    return conflicts


def _profiles(kind, group_type, staff) -> dict:
    """The staff members' scheduling profiles by user id (one query); for a group, whether each
    leads its group type."""
    profiles = StaffProfile.objects.filter(user__in=[m.pk for m in staff])
    if kind == SessionKind.GROUP and group_type is not None:
        profiles = profiles.annotate(leads_it=Exists(
            StaffProfile.leads.through.objects.filter(staffprofile_id=OuterRef("pk"), grouptype_id=group_type.pk)))
    return {profile.user_id: profile for profile in profiles}


def _qualifications(kind, group_type, staff, profiles) -> list[Conflict]:
    if kind == SessionKind.GROUP and group_type is None:
        return []
    if kind not in QUALIFICATIONS and kind != SessionKind.GROUP:
        return []  # a drug screen: any staff member may collect it
    conflicts = []
    for member in staff:
        profile = profiles.get(member.pk)
        if kind == SessionKind.GROUP:
            if profile is None or not profile.leads_it:
                conflicts.append(Conflict(f"{member.display_name} does not lead {group_type.name} groups."))
            continue
        field, sentence = QUALIFICATIONS[kind]
        if profile is None or not getattr(profile, field):
            conflicts.append(Conflict(f"{member.display_name} {sentence}."))
    return conflicts


def _weekly_minutes(starts_at, ends_at, staff, profiles, exclude_session) -> list[Conflict]:
    """Staff stay within their most minutes of sessions a week (Monday to Sunday, as the solver
    counts them). Staff without a scheduling profile are not counted."""
    with_limit = [m for m in staff if m.pk in profiles]
    if not with_limit:
        return []
    week_start, week_end = week_bounds(week_of(timezone.localdate(starts_at)))
    booked = (Session.staff.through.objects.filter(
        user_id__in=[m.pk for m in with_limit], session__starts_at__gte=week_start, session__starts_at__lt=week_end)
        .exclude(session__status=SessionStatus.CANCELLED))
    if exclude_session is not None and exclude_session.pk:
        booked = booked.exclude(session_id=exclude_session.pk)
    minutes = defaultdict(int)
    for user_id, start, end in booked.values_list("user_id", "session__starts_at", "session__ends_at"):
        minutes[user_id] += int((end - start).total_seconds() // 60)
    this_one = int((ends_at - starts_at).total_seconds() // 60)
    conflicts = []
    for member in with_limit:
        limit = profiles[member.pk].max_weekly_minutes
        total = minutes[member.pk] + this_one
        if total > limit:
            conflicts.append(Conflict(
                f"{member.display_name} would have {total} minutes of sessions that week; their most is {limit}."))
    return conflicts


def _parse(value) -> dt.time | None:
    from openiop.scheduling.availability import parse_time

    try:
        return parse_time(value)
    except (TypeError, ValueError):
        return None


def _patient_free_times(starts_at, ends_at, patients, names) -> list[Conflict]:
    """A warning when the session falls outside the times the patient said they are free.
    A patient with no free times on record is not checked."""
    if not patients:
        return []
    weekday, start, end, same_day = _local_span(starts_at, ends_at)
    day = WEEKDAY_NAMES[weekday]
    conflicts = []
    for availability in PatientAvailability.objects.filter(patient__in=[p.pk for p in patients]).order_by("patient_id"):
        windows = [w for w in (availability.windows or []) if isinstance(w, dict)]
        if not windows:
            continue
        that_day = []
        for window in windows:
            if window.get("day") != weekday:
                continue
            free_from, free_until = _parse(window.get("start")), _parse(window.get("end"))
            if free_from is not None and free_until is not None:
                that_day.append((free_from, free_until))
        that_day.sort()
        if same_day and any(free_from <= start and end <= free_until for free_from, free_until in that_day):
            continue
        patient = next(p for p in patients if p.pk == availability.patient_id)
        free = ", ".join(_hours(a, b) for a, b in that_day) if that_day else "no free times"
        conflicts.append(Conflict(
            f"{_named(names, patient)} said they are not free then ({day}: {free}).", warning=True))
    return conflicts
