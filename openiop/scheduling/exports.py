"""A week of the calendar as JSON or iCalendar, and the independent re-check of any week.

Same shape for both formats: `week_export()` → dict, `week_ics()` → bytes. Any week on the
calendar (solved, edited by hand, or both) can be re-checked against the hard rules of
docs/scheduling.md with `check_week()`, which converts it back into an instance and a schedule
and runs the validator on them.

What leaves in which format:

- JSON names patients (MRN and name) and their hours against their plan: it is patient data,
  audited as one EXPORT event per patient, and carries the 42 CFR Part 2 notice when any
  patient or session is from a Part 2 program.
- iCalendar is for calendars (which sync to phones and cloud services): titles, rooms, staff
  and how many patients, never who. It names no patient, so it is not audited per patient.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.privacy.labels import PART2_SHORT_NOTICE
from openiop.scheduling.models import Session, SessionKind, SessionStatus
from openiop.scheduling.rules import week_bounds
from openiop.scheduling.weeks import check_week_start, week_as_scheduled


def week_sessions(organization, week_start: dt.date):
    begins, ends = week_bounds(week_start)
    return (
        Session.objects.filter(program__organization=organization, starts_at__gte=begins, starts_at__lt=ends)
        .select_related("program", "group_type", "room")
        .prefetch_related("staff", "attendees__patient")
        .order_by("starts_at", "pk")
    )


def check_week(organization, week_start: dt.date) -> list[str]:
    """Every hard-rule violation on the week's calendar as it stands (cancelled sessions and
    drug screens aside), one plain line each; empty when the week is sound. Reads only."""
    from openiop.scheduling import validator

    week, schedule = week_as_scheduled(organization, week_start)
    return [str(v) for v in validator.violations(week.instance, schedule)]


def _hours(minutes: int) -> float:
    return round(minutes / 60, 2)


def week_export(organization, week_start: dt.date, *, by=None) -> dict:
    """The week as plain data: every session (kind, title, times with their UTC offset, room,
    staff, patients, telehealth, status) and every patient's planned and scheduled minutes and
    hours against their band. Side effects: one audit EXPORT event per patient included."""
    check_week_start(week_start)
    week, schedule = week_as_scheduled(organization, week_start)
    instance = week.instance
    sessions = []
    part2 = False
    for session in week_sessions(organization, week_start):
        part2 = part2 or session.program.is_part2
        sessions.append({
            "id": session.pk,
            "kind": session.kind,
            "title": session.title,
            "program": session.program.code,
            "start": timezone.localtime(session.starts_at).isoformat(),
            "end": timezone.localtime(session.ends_at).isoformat(),
            "minutes": session.minutes,
            "room": session.room.name if session.room_id else None,
            "telehealth": session.telehealth,
            "staff": [member.display_name for member in session.staff.all()],
            "patients": [{"mrn": a.patient.mrn, "name": a.patient.display_name}
                         for a in sorted(session.attendees.all(), key=lambda a: a.patient.mrn)],
            "status": session.status,
            "source": session.source,
            "fixed": session.fixed,
        })
    patients = []
    included = []
    for pid, planned in sorted(instance.patients.items()):
        patient, episode = week.patients[pid], week.episodes[pid]
        part2 = part2 or episode.program.is_part2
        included.append(patient)
        scheduled = schedule.minutes_of(pid)
        patients.append({
            "mrn": pid,
            "name": patient.display_name,
            "program": episode.program.code,
            "planned_minutes": instance.planned_minutes(planned),
            "scheduled_minutes": scheduled,
            "planned_hours": _hours(instance.planned_minutes(planned)),
            "scheduled_hours": _hours(scheduled),
            "band": {"min_hours": _hours(planned.min_minutes), "max_hours": _hours(planned.max_minutes)},
            "within_band": planned.min_minutes <= scheduled <= planned.max_minutes,
        })
    audit.record_many(user=by, action=Action.EXPORT, patients=included,
                      detail={"week": week_start.isoformat(), "format": "json"})
    data = {
        "organization": organization.name,
        "week_start": week_start.isoformat(),
        "time_zone": timezone.get_current_timezone_name(),
        "sessions": sessions,
        "patients": patients,
    }
    if part2:
        data["part2_notice"] = PART2_SHORT_NOTICE
    return data


def week_ics(organization, week_start: dt.date) -> bytes:
    """The week as an iCalendar file: one event per session, titled without any patient name or
    diagnosis; a cancelled session is an event with STATUS:CANCELLED so subscribed calendars drop
    it. Names no patient, so audits nothing."""
    from icalendar import Calendar, Event

    check_week_start(week_start)
    calendar = Calendar()
    calendar.add("prodid", "-//OpenIOP//Week schedule//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{organization.name}: week of {week_start:%d %B %Y}")
    stamp = timezone.now()
    for session in week_sessions(organization, week_start):
        event = Event()
        event.add("uid", f"session-{session.pk}@openiop")
        event.add("dtstamp", stamp)
        event.add("dtstart", timezone.localtime(session.starts_at))
        event.add("dtend", timezone.localtime(session.ends_at))
        event.add("summary", session.title)
        event.add("location", "Telehealth" if session.telehealth else (session.room.name if session.room_id else ""))
        staff = ", ".join(member.display_name for member in session.staff.all()) or "nobody yet"
        count = len(session.attendees.all())
        patients = "no patients" if count == 0 else f"{count} patient{'' if count == 1 else 's'}"
        event.add("description", f"Staff: {staff}. {patients.capitalize()}.")
        event.add("status", "CANCELLED" if session.status == SessionStatus.CANCELLED else "CONFIRMED")
        if session.kind != SessionKind.GROUP:
            event.add("categories", [session.get_kind_display()])
        calendar.add_component(event)
    # Only the time-zone rules around the week, not every change since 1970.
    calendar.add_missing_timezones(first_date=week_start - dt.timedelta(days=366),
                                   last_date=week_start + dt.timedelta(days=366))
    return calendar.to_ical()
