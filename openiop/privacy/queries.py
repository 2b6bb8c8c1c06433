from openiop.accounts.enums import Role
from openiop.privacy.models import BreakGlassAccess


def break_glass_review_list(user):
    """Emergency accesses awaiting review, oldest first (privacy officer and director only)."""
    if not user.is_authenticated or user.role not in (Role.PRIVACY, Role.DIRECTOR):
        return BreakGlassAccess.objects.none()
    return (
        BreakGlassAccess.objects.filter(
            reviewed_at__isnull=True, patient__organization_id=user.organization_id
        )
        .select_related("user", "patient")
        .order_by("started_at")
    )


def break_glass_in_use(user, patient):
    """The unexpired emergency access `user` relies on for `patient`, or None when the patient
    is theirs anyway (their program or care team)."""
    from django.utils import timezone

    from openiop.accounts.enums import TREATING_ROLES
    from openiop.care.queries import treats_patient

    if user.role not in TREATING_ROLES or treats_patient(user, patient):
        return None
    return (
        BreakGlassAccess.objects.filter(user=user, patient=patient, expires_at__gt=timezone.now())
        .order_by("-started_at")
        .first()
    )


def break_glass_for_review(user, pk: int):
    """One emergency access of the user's organization, for the privacy officer or director."""
    if not user.is_authenticated or user.role not in (Role.PRIVACY, Role.DIRECTOR):
        return None
    return (
        BreakGlassAccess.objects.select_related("user", "patient", "reviewed_by")
        .filter(pk=pk, patient__organization_id=user.organization_id)
        .first()
    )
