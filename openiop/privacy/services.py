"""Writes for privacy controls: break-the-glass and its review."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from openiop.accounts.enums import Role
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.patients.rules import can_break_glass
from openiop.privacy.models import BreakGlassAccess, BreakGlassReason, ReviewOutcome

MIN_REASON_LENGTH = 15


@transaction.atomic
def break_glass(*, user, patient, reason_code: str, reason: str) -> BreakGlassAccess:
    """Give `user` emergency access to `patient` for OPENIOP_BREAK_GLASS_HOURS.

    Side effects: a `break_glass` audit event carrying the reason; the access appears on the
    privacy officer's review list until reviewed.
    """
    if not can_break_glass(user):
        raise ValidationError("Only clinicians and prescribers can use emergency access.")
    errors = {}
    if reason_code not in BreakGlassReason.values:
        errors["reason_code"] = "Choose the kind of emergency."
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        errors["reason"] = (
            f"Describe the emergency in at least {MIN_REASON_LENGTH} characters; "
            "the privacy officer reviews every use."
        )
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    access = BreakGlassAccess.objects.create(
        user=user, patient=patient, reason_code=reason_code, reason=reason, started_at=now,
        expires_at=now + dt.timedelta(hours=settings.OPENIOP_BREAK_GLASS_HOURS),
    )
    audit.record(
        user=user, action=Action.BREAK_GLASS, patient=patient, obj=access,
        reason=f"{reason_code}: {reason}",
        detail={"expires_at": access.expires_at.isoformat()},
    )
    return access


@transaction.atomic
def review_break_glass(*, reviewer, access: BreakGlassAccess, outcome: str, note: str = "") -> BreakGlassAccess:
    """Record the privacy officer's review. Side effects: one `review` audit event."""
    if reviewer.role not in (Role.PRIVACY, Role.DIRECTOR):
        raise ValidationError("Only the privacy officer or clinical director reviews emergency access.")
    if access.is_reviewed:
        raise ValidationError("This emergency access has already been reviewed.")
    if outcome not in ReviewOutcome.values:
        raise ValidationError({"outcome": "Choose whether the access was appropriate."})
    if outcome == ReviewOutcome.INAPPROPRIATE and not note.strip():
        raise ValidationError({"note": "Say what follow-up is needed when access was inappropriate."})
    access.reviewed_by = reviewer
    access.reviewed_at = timezone.now()
    access.review_outcome = outcome
    access.review_note = note.strip()
    access.save(update_fields=["reviewed_by", "reviewed_at", "review_outcome", "review_note"])
    audit.record(
        user=reviewer, action=Action.REVIEW, patient=access.patient, obj=access,
        detail={"outcome": outcome},
    )
    return access
