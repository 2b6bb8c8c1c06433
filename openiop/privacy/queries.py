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
