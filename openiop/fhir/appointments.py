"""Scheduled sessions in FHIR R4: Appointment.

One Appointment per session the exported patient is on the roster of (their `Attendee` rows),
oldest first, cancelled sessions included (`cancelled`).

- Whose Appointment it is. The export is one patient's record, and a group session's roster
  is other patients' health information (that they attend a substance-use group is itself a
  42 CFR Part 2 fact). So each Appointment lists as participants only the exported patient,
  the staff who run the session (display-only Practitioner references, as elsewhere in the
  export) and the room (a display-only Location reference); never another patient. For the
  same reason the resource is made from the patient's roster row, not the session: its id
  comes from the Attendee, and no session identifier is sent. Two patients' exports therefore
  never carry the same Appointment with different participants, and a receiver holding both
  cannot link them into a roster.
- Status: `booked`, or `cancelled` when the session was cancelled. Whether the patient came is
  attendance (the documentation issue), not the appointment, so a past session stays `booked`
  rather than guessing `fulfilled` or `noshow`. The cancel reason stays in the system (it is
  free text written for staff).
- Times: `start` and `end` are instants (UTC offsets), `minutesDuration` their difference.
- What it is: `serviceType` is the kind of session in OpenIOP's code system (and, for a group,
  the group type's name as text); `appointmentType` is the HL7 v2 "routine" code.
  `supportingInformation` points to the patient's EpisodeOfCare in the Bundle.
- Labels: the roster row's security labels (those of the program it was booked in).
- A video visit has no Location; its `description` says "Video visit". The link itself is a
  key to the meeting and does not leave.
"""

from __future__ import annotations

from django.db.models import Prefetch

from openiop.accounts.models import User
from openiop.fhir.mappers import coding, new_resource, practitioner_reference, reference
from openiop.scheduling.models import Attendee, SessionKind

SESSION_KIND_SYSTEM = "urn:openiop:session-kind"
APPOINTMENT_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0276"
ROUTINE = coding(APPOINTMENT_TYPE_SYSTEM, "ROUTINE", "Routine appointment - default if not valued")
PARTICIPATION_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
PERFORMER = coding(PARTICIPATION_TYPE_SYSTEM, "PPRF", "primary performer")
SERVICE_NAMES = {
    SessionKind.GROUP: "Group therapy",
    SessionKind.INDIVIDUAL: "Individual therapy",
    SessionKind.FAMILY: "Family therapy",
    SessionKind.MEDICATION: "Medication management",
    SessionKind.DRUG_SCREEN: "Drug screen",
}


def appointment_key(attendee) -> str:
    return f"appointment-{attendee.pk}"


def roster_rows(patient):
    """The patient's roster rows with everything the mapper reads (a fixed number of queries)."""
    return (
        Attendee.objects.filter(patient=patient)
        .select_related("patient", "episode", "session__room", "session__group_type")
        .prefetch_related(Prefetch("session__staff", queryset=User.objects.order_by("last_name", "first_name", "id")))
        .order_by("session__starts_at", "session_id", "id")
    )


def to_fhir_appointment(attendee) -> dict:
    """Map one roster row: the session as the patient's Appointment (see the module docstring)."""
    session = attendee.session
    resource = new_resource("Appointment", attendee, attendee.security_labels, key=appointment_key(attendee))
    resource["status"] = "cancelled" if session.is_cancelled else "booked"
    resource["serviceType"] = [service_type(session)]
    resource["appointmentType"] = {"coding": [ROUTINE]}
    if session.telehealth:
        resource["description"] = "Video visit"
    resource["supportingInformation"] = [reference("EpisodeOfCare", attendee.episode)]
    resource["start"] = session.starts_at.isoformat(timespec="seconds")
    resource["end"] = session.ends_at.isoformat(timespec="seconds")
    resource["minutesDuration"] = session.minutes
    resource["created"] = session.created_at.isoformat(timespec="seconds")
    resource["participant"] = participants(attendee)
    return resource


def service_type(session) -> dict:
    name = SERVICE_NAMES.get(session.kind, session.get_kind_display())
    concept = {"coding": [coding(SESSION_KIND_SYSTEM, session.kind, name)], "text": name}
    if session.kind == SessionKind.GROUP and session.group_type_id:
        concept["text"] = f"{name}: {session.group_type.name}"
    return concept


def participants(attendee) -> list[dict]:
    """The exported patient, the session's staff, then the room; nobody else on the roster."""
    session = attendee.session
    found = [{"actor": reference("Patient", attendee.patient), "required": "required", "status": "accepted"}]
    found += [
        {"type": [{"coding": [PERFORMER]}], "actor": practitioner_reference(user), "required": "required",
         "status": "accepted"}
        for user in session.staff.all()
    ]
    if session.room_id and not session.telehealth:
        found.append({"actor": {"type": "Location", "display": session.room.name}, "required": "information-only",
                      "status": "accepted"})
    return found


def to_fhir_appointments(attendees) -> list[dict]:
    return [to_fhir_appointment(attendee) for attendee in attendees]
