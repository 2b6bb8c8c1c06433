"""A week of the clinic's calendar in FHIR R4: one Appointment per session, every patient listed.

This is the clinic-internal view behind `openiop schedule export --format fhir`, the FHIR twin of
the JSON week export (openiop/scheduling/exports.py), which already names every patient. It is
not the per-patient export (fhir/appointments.py), which leaves a patient's record and so lists
only that patient: here the reader is the clinic itself, and a group session's Appointment lists
each patient on its roster, as FHIR R4 means a group Appointment to.

- Entries: one Appointment per session of the organization's week (Monday to Sunday, in the
  clinic's time zone), by start time; cancelled sessions included (`cancelled`). Then one
  minimal Patient per patient on any roster (id, MRN identifier, name), by MRN, so every
  reference resolves inside the Bundle. A Patient has the same id here as in that patient's own
  export (mappers.resource_id), so a receiver recognises it.
- An Appointment is made from the session, not from a roster row: its id comes from the session
  (key `session-<id>`), never equal to the id of a per-patient Appointment (`appointment-<id>`).
- Participants: each patient on the roster (by MRN), the staff who run the session
  (display-only Practitioner references), the room (a display-only Location; none for a video
  visit). FHIR requires at least one participant; a session with no staff named yet carries a
  primary-performer participant with no actor and status `needs-action`.
- Status, times, `serviceType`, `appointmentType` and "Video visit" are as in the per-patient
  export. There is no `supportingInformation`: episodes of care are not in this Bundle.
- Labels: an Appointment's `meta.security` is the union of its roster rows' labels (the most
  protective confidentiality wins, security.py); a session with nobody on it yet takes the
  labels of its program. A Patient carries the patient's own labels. The Bundle carries the
  high-water mark.
- The §2.32 notice, when any entry is Part 2: on the Bundle's and each Part 2 resource's `meta`
  (security.bundle_meta, security.record_meta), and in the narrative of each Part 2 Appointment
  and of the Patient of everyone whose part of the Bundle includes Part 2 information, as the
  per-patient export puts it in its Patient (docs/fhir.md, "The §2.32 notice").
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.html import escape

from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.fhir.appointments import PERFORMER, ROUTINE, service_type
from openiop.fhir.mappers import (
    coding,
    full_url_of,
    mrn_system,
    new_resource,
    patient_names,
    practitioner_reference,
    reference,
)
from openiop.fhir.security import bundle_meta, is_part2
from openiop.privacy.labels import PART2_SHORT_NOTICE, labels_for_program, merge_labels
from openiop.scheduling.exports import week_sessions
from openiop.scheduling.weeks import check_week_start

EXPORT_FORMAT = "fhir"
XHTML_NAMESPACE = "http://www.w3.org/1999/xhtml"
MRN_TYPE = coding("http://terminology.hl7.org/CodeSystem/v2-0203", "MR", "Medical record number")


def week_bundle(organization, week_start: dt.date, *, by=None) -> dict:
    """The organization's week as a FHIR R4 collection Bundle (a JSON-ready dict): every
    session as an Appointment listing all its patients, then those patients (see the module
    docstring). A record whose labels cannot be written stops it (security.SecurityLabelError)
    before anything is audited.

    `by` is the signed-in person exporting; None for an operator at the command line, whom the
    audit trail names from `command_context`.
    Side effects: one audit EXPORT event per patient in the Bundle (detail: week, format).
    """
    check_week_start(week_start)
    sessions = list(week_sessions(organization, week_start))
    appointments = [to_week_appointment(session) for session in sessions]
    patients = {row.patient.mrn: row.patient for session in sessions for row in session.attendees.all()}
    included = [patients[mrn] for mrn in sorted(patients)]
    people = [to_minimal_patient(patient) for patient in included]
    add_notices(appointments, people, sessions, included)
    resources = appointments + people
    timestamp = timezone.now().replace(microsecond=0).isoformat()
    bundle = {
        "resourceType": "Bundle",
        "meta": bundle_meta(resources, last_updated=timestamp),
        "type": "collection",
        "timestamp": timestamp,
        "entry": [{"fullUrl": full_url_of(resource), "resource": resource} for resource in resources],
    }
    audit.record_many(user=by, action=Action.EXPORT, patients=included,
                      detail={"week": week_start.isoformat(), "format": EXPORT_FORMAT})
    return bundle


def session_key(session) -> str:
    return f"session-{session.pk}"


def roster(session) -> list:
    """The session's roster rows, by MRN (the rows are prefetched)."""
    return sorted(session.attendees.all(), key=lambda row: (row.patient.mrn, row.pk))


def session_labels(session) -> list[str]:
    """The union of the roster rows' labels; the program's labels when nobody is on it yet."""
    rows = roster(session)
    if not rows:
        return labels_for_program(session.program)
    return merge_labels(*(row.security_labels for row in rows))


def to_week_appointment(session) -> dict:
    """Map one session, listing everyone on its roster (see the module docstring)."""
    resource = new_resource("Appointment", session, session_labels(session), key=session_key(session))
    resource["status"] = "cancelled" if session.is_cancelled else "booked"
    resource["serviceType"] = [service_type(session)]
    resource["appointmentType"] = {"coding": [ROUTINE]}
    if session.telehealth:
        resource["description"] = "Video visit"
    resource["start"] = session.starts_at.isoformat(timespec="seconds")
    resource["end"] = session.ends_at.isoformat(timespec="seconds")
    resource["minutesDuration"] = session.minutes
    resource["created"] = session.created_at.isoformat(timespec="seconds")
    resource["participant"] = week_participants(session)
    return resource


def week_participants(session) -> list[dict]:
    """Every patient on the roster, the staff (or an unfilled performer), then the room."""
    found = [{"actor": reference("Patient", row.patient), "required": "required", "status": "accepted"}
             for row in roster(session)]
    staff = sorted(session.staff.all(), key=lambda user: (user.last_name, user.first_name, user.pk))
    found += [
        {"type": [{"coding": [PERFORMER]}], "actor": practitioner_reference(user), "required": "required",
         "status": "accepted"}
        for user in staff
    ]
    if not staff:
        found.append({"type": [{"coding": [PERFORMER]}], "required": "required", "status": "needs-action"})
    if session.room_id and not session.telehealth:
        found.append({"actor": {"type": "Location", "display": session.room.name}, "required": "information-only",
                      "status": "accepted"})
    return found


def to_minimal_patient(patient) -> dict:
    """Who a participant is, and nothing more: the MRN and the name."""
    resource = new_resource("Patient", patient, patient.security_labels)
    resource["identifier"] = [{"use": "usual", "type": {"coding": [MRN_TYPE]}, "system": mrn_system(),
                               "value": patient.mrn}]
    resource["name"] = patient_names(patient)
    return resource


def add_notices(appointments, people, sessions, patients) -> None:
    """The §2.32 statement in the narrative of each Part 2 Appointment, and of the Patient of each
    person with a Part 2 record or on the roster of a Part 2 Appointment."""
    part2_mrns = {patient.mrn for patient, person in zip(patients, people, strict=True) if is_part2(person)}
    for session, appointment in zip(sessions, appointments, strict=True):
        if is_part2(appointment):
            add_notice_narrative(appointment, describe_session(session))
            part2_mrns.update(row.patient.mrn for row in session.attendees.all())
    for patient, person in zip(patients, people, strict=True):
        if patient.mrn in part2_mrns:
            add_notice_narrative(person, f"{patient.legal_name}, MRN {patient.mrn}")


def describe_session(session) -> str:
    starts = timezone.localtime(session.starts_at)
    ends = timezone.localtime(session.ends_at)
    cancelled = " (cancelled)" if session.is_cancelled else ""
    return f"{session.title}, {starts:%A %d %B %Y %H:%M}–{ends:%H:%M}{cancelled}"


def add_notice_narrative(resource: dict, summary: str) -> None:
    """Put the §2.32 statement, then what the resource is, in its narrative (right after `meta`,
    where FHIR's JSON puts `text`)."""
    head = ("resourceType", "id", "meta")
    rest = {key: resource.pop(key) for key in list(resource) if key not in head}
    resource["text"] = {
        "status": "additional",
        "div": (f'<div xmlns="{XHTML_NAMESPACE}"><p><b>{escape(PART2_SHORT_NOTICE)}</b></p>'
                f"<p>{escape(summary)}</p></div>"),
    }
    resource.update(rest)
