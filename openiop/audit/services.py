"""Writes to the audit trail. Every other app records through these functions."""

from collections.abc import Iterable

from openiop.audit.context import current_origin
from openiop.audit.models import Action, AuditEvent


def _actor_fields(user) -> dict:
    origin = current_origin()
    if user is not None and getattr(user, "is_authenticated", False):
        return {"user": user, "username": user.username, "role": user.role}
    return {"user": None, "username": origin.system_actor or "anonymous", "role": ""}


def _origin_fields() -> dict:
    origin = current_origin()
    return {"ip": origin.ip, "request_id": origin.request_id, "path": origin.path}


def record(
    *,
    user,
    action: str,
    patient=None,
    obj=None,
    reason: str = "",
    detail: dict | None = None,
) -> AuditEvent:
    """Append one event about `patient` (and `obj`, a record of theirs) to the trail."""
    event = AuditEvent(
        **_actor_fields(user),
        **_origin_fields(),
        patient=patient,
        patient_mrn=patient.mrn if patient is not None else "",
        action=action,
        object_type=_object_type(obj if obj is not None else patient),
        object_id=str(obj.pk) if obj is not None else (str(patient.pk) if patient else ""),
        reason=reason,
        detail=detail or {},
    )
    event.save()
    return event


def record_many(*, user, action: str, patients: Iterable, detail: dict | None = None,
                object_type: str = "patients.patient") -> int:
    """Append one event per patient shown in a list or search result, in one query.
    `object_type` names what was touched when it is not the patient record itself (e.g. a
    patient's week on the calendar)."""
    actor = _actor_fields(user)
    origin = _origin_fields()
    events = [
        AuditEvent(
            **actor, **origin, patient=p, patient_mrn=p.mrn, action=action,
            object_type=object_type, object_id=str(p.pk), detail=detail or {},
        )
        for p in patients
    ]
    if events:
        AuditEvent.objects.bulk_create(events)
    return len(events)


def record_many_records(*, user, action: str, records: Iterable, detail: dict | None = None) -> int:
    """Append one event per record shown (e.g. referrals on a board), in one query. Each record
    may belong to a patient (`record.patient`) or not yet (a referral before admission)."""
    actor = _actor_fields(user)
    origin = _origin_fields()
    events = [
        AuditEvent(
            **actor, **origin, patient_id=record.patient_id,
            patient_mrn=record.patient.mrn if record.patient_id else "",
            action=action, object_type=_object_type(record), object_id=str(record.pk),
            detail=detail or {},
        )
        for record in records
    ]
    if events:
        AuditEvent.objects.bulk_create(events)
    return len(events)


def record_auth_event(*, user, action: str, request=None, username: str = "") -> AuditEvent:
    """Record a sign-in, sign-out, failed sign-in or idle sign-out."""
    if user is not None:
        actor = {"user": user, "username": user.username, "role": user.role}
    else:
        actor = {"user": None, "username": username[:150] or "unknown", "role": ""}
    event = AuditEvent(**actor, **_origin_fields(), action=action)
    event.save()
    return event


def record_export(*, user, patient, export_format: str, resource_count: int) -> AuditEvent:
    return record(
        user=user, action=Action.EXPORT, patient=patient,
        detail={"format": export_format, "resources": resource_count},
    )


def _object_type(obj) -> str:
    if obj is None:
        return ""
    return f"{obj._meta.app_label}.{obj._meta.model_name}"
