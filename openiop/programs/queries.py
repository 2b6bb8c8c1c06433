"""Reads about programs that other apps need (who is on call)."""

from django.utils import timezone

from openiop.programs.models import OnCallShift


def on_call_clinicians(program, at=None) -> list:
    """The clinicians on call for `program` at `at` (now by default), oldest shift first."""
    at = at or timezone.now()
    shifts = OnCallShift.objects.filter(program=program, starts_at__lte=at, ends_at__gt=at).select_related("clinician")
    return [shift.clinician for shift in shifts if shift.clinician.is_active]
