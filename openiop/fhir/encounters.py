"""Attended sessions in FHIR R4: Encounter.

One Encounter per session the exported patient attended (their `Attendance` present, late or
left early), oldest first. Absences make no Encounter: nothing happened (the Appointment of the
session is still in the export, fhir/appointments.py).

- Whose Encounter it is. As with Appointments, a group session's roster is other patients'
  health information, so the Encounter is made from the patient's own attendance record, lists
  only the staff who ran the session (display-only Practitioner references) besides the
  patient as `subject`, and carries no session identifier. Never another patient.
- `status` finished; `class` AMB (ambulatory), or VR (virtual) when the patient joined by video.
- `type`: the kind of session in OpenIOP's code system (as the Appointment's serviceType).
- `period`: the check-in and check-out instants clipped to the session's own times (what the
  minutes were counted from), in UTC; `length`: those whole minutes (UCUM `min`).
- `appointment`: the patient's Appointment of the same roster row; `episodeOfCare`: the
  episode the session was booked in.
- Labels: the attendance record's security labels (those of the program it was taken in).
"""

from __future__ import annotations

from django.db.models import Prefetch

from openiop.accounts.models import User
from openiop.attendance.models import ATTENDED_STATUSES, Attendance
from openiop.attendance.rules import UTC
from openiop.fhir.appointments import PERFORMER, appointment_key, service_type
from openiop.fhir.mappers import (
    UCUM_SYSTEM,
    coding,
    new_resource,
    practitioner_reference,
    reference,
)
from openiop.privacy.labels import ACT_CODE_SYSTEM

AMBULATORY = coding(ACT_CODE_SYSTEM, "AMB", "ambulatory")
VIRTUAL = coding(ACT_CODE_SYSTEM, "VR", "virtual")


def attended_records(patient):
    """The patient's attended sessions with everything the mapper reads (a fixed number of queries)."""
    return (
        Attendance.objects.filter(patient=patient, status__in=ATTENDED_STATUSES)
        .select_related("attendee", "patient", "episode", "session__group_type")
        .prefetch_related(Prefetch("session__staff", queryset=User.objects.order_by("last_name", "first_name", "id")))
        .order_by("session__starts_at", "session_id", "id")
    )


def to_fhir_encounter(attendance) -> dict:
    """Map one attended session: the patient's Encounter (see the module docstring)."""
    session = attendance.session
    resource = new_resource("Encounter", attendance, attendance.security_labels)
    resource["status"] = "finished"
    resource["class"] = VIRTUAL if attendance.by_telehealth else AMBULATORY
    resource["type"] = [service_type(session)]
    resource["subject"] = reference("Patient", attendance.patient)
    resource["episodeOfCare"] = [reference("EpisodeOfCare", attendance.episode)]
    participants = [
        {"type": [{"coding": [PERFORMER]}], "individual": practitioner_reference(user)}
        for user in session.staff.all()
    ]
    if participants:
        resource["participant"] = participants
    resource["appointment"] = [reference("Appointment", attendance.attendee, key=appointment_key(attendance.attendee))]
    start = max(attendance.checked_in_at, session.starts_at)
    end = min(attendance.checked_out_at, session.ends_at)
    resource["period"] = {"start": start.astimezone(UTC).isoformat(timespec="seconds"),
                          "end": end.astimezone(UTC).isoformat(timespec="seconds")}
    resource["length"] = {"value": attendance.minutes, "unit": "min", "system": UCUM_SYSTEM, "code": "min"}
    return resource


def encounters_section(patient) -> list[dict]:
    """The sessions the patient attended, oldest first, as Encounters naming only this patient
    and the staff (never another patient)."""
    return [to_fhir_encounter(attendance) for attendance in attended_records(patient)]
