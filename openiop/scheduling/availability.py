"""When a patient can come: read, checked and written here (the one write path), first from the
intake screening at admission, then by staff when work or school hours change."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from openiop.scheduling.models import WEEKDAYS, PatientAvailability

DAY_NAMES = dict(WEEKDAYS)


def clean_windows(raw) -> list[dict]:
    """Check free times ([{"day", "start", "end"}]); raise ValidationError naming the row."""
    cleaned = []
    for index, block in enumerate(raw or [], start=1):
        try:
            day = int(block["day"])
            start, end = parse_time(block["start"]), parse_time(block["end"])
        except (KeyError, TypeError, ValueError):
            raise ValidationError({"windows": f"Row {index}: give a day, a start time and an end time (HH:MM)."}) from None
        if not 0 <= day <= 6:
            raise ValidationError({"windows": f"Row {index}: the day must be Monday to Sunday."})
        if end <= start:
            raise ValidationError({"windows": f"Row {index}: {start:%H:%M} to {end:%H:%M} ends before it starts."})
        cleaned.append({"day": day, "start": f"{start:%H:%M}", "end": f"{end:%H:%M}"})
    return sorted(cleaned, key=lambda w: (w["day"], w["start"]))


def parse_time(text) -> dt.time:
    """"9:00", "09:00" or "09:00:00" (a time object passes through)."""
    if isinstance(text, dt.time):
        return text
    hours, _, rest = str(text).strip().partition(":")
    return dt.time.fromisoformat(f"{int(hours):02d}:{rest}")


def describe(windows: list[dict]) -> str:
    """"Mon 17:30-21:30, Tue 17:30-21:30" (plain words for screens)."""
    return ", ".join(f"{DAY_NAMES[w['day']][:3]} {w['start']}-{w['end']}" for w in windows) or "not recorded"


@transaction.atomic
def set_availability(patient, windows, *, by=None, note: str = "") -> PatientAvailability:
    """Replace the patient's free times. Side effects: an audit event (CHANGE, or CREATE the
    first time) for the patient."""
    from openiop.audit import services as audit
    from openiop.audit.models import Action

    cleaned = clean_windows(windows)
    record = PatientAvailability.objects.select_for_update().filter(patient=patient).first()
    created = record is None
    if created:
        record = PatientAvailability(patient=patient)
        record.label_for_program(_current_program(patient))
    record.windows, record.note, record.updated_by = cleaned, note, by
    record.save()
    audit.record(user=by, action=Action.CREATE if created else Action.CHANGE, patient=patient, obj=record,
                 detail={"availability": describe(cleaned)})
    return record


def copy_from_screening(episode, *, by=None) -> PatientAvailability | None:
    """At admission: the free times the person gave at intake, unless already recorded."""
    screening = getattr(getattr(episode, "referral", None), "screening", None) if episode.referral_id else None
    if screening is None or not screening.weekly_availability:
        return None
    if PatientAvailability.objects.filter(patient=episode.patient).exists():
        return None
    return set_availability(episode.patient, screening.weekly_availability, by=by, note="From the intake screening")


def _current_program(patient):
    episode = patient.episodes.filter(discharged_on__isnull=True).order_by("-admitted_on").first()
    return episode.program if episode else None
