"""Reads of referrals. Every query over referrals goes through `visible_to(user)`."""

from django.db import models
from django.db.models import Q

from openiop.accounts.enums import Role
from openiop.patients.rules import CLINICAL, chart_sections

# Roles that work the whole referral pipeline of their organization.
PIPELINE_ROLES = frozenset({Role.DIRECTOR, Role.INTAKE, Role.FRONT_DESK, Role.BILLING})


class ReferralQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Intake, front desk, billing and the director see the organization's referrals;
        clinicians and prescribers see those for their programs; nobody else sees any."""
        if user is None or not user.is_authenticated:
            return self.none()
        if user.role in PIPELINE_ROLES:
            return self.filter(organization_id=user.organization_id)
        if user.treats_patients:
            return self.filter(organization_id=user.organization_id, program__in=user.programs.all())
        return self.none()

    def search(self, query: str):
        query = (query or "").strip()
        result = self
        for word in query.replace(",", " ").split():
            result = result.filter(
                Q(last_name__icontains=word) | Q(first_name__icontains=word)
                | Q(preferred_name__icontains=word) | Q(phone__icontains=word)
            )
        return result


class ReferralRecordQuerySet(models.QuerySet):
    """Screenings and assessments: clinical content of a referral."""

    def visible_to(self, user):
        from openiop.intake.models import Referral

        if CLINICAL not in chart_sections(user):
            return self.none()
        visible = Referral.objects.visible_to(user).values("pk")
        return self.filter(Q(referral__in=visible))


def get_visible_referral(user, pk: int):
    from openiop.intake.models import Referral

    return Referral.objects.visible_to(user).filter(pk=pk).first()


def possible_duplicates(referral, user):
    """Existing patients and open referrals that may be the same person: same date of birth
    and last name, or the same phone number, among those `user` may see (a clinician of one
    program must not learn that someone is a patient of another, least of all a Part 2 one)."""
    from openiop.intake.enums import OPEN_STAGES
    from openiop.intake.models import Referral
    from openiop.patients.models import Patient

    person = Q(pk__in=[])
    if referral.date_of_birth and referral.last_name:
        person |= Q(date_of_birth=referral.date_of_birth, legal_last_name__iexact=referral.last_name)
    if referral.phone:
        person |= Q(phone=referral.phone)
    patients = Patient.objects.visible_to(user).filter(organization_id=referral.organization_id).filter(person)
    same_referral = Q(pk__in=[])
    if referral.date_of_birth and referral.last_name:
        same_referral |= Q(date_of_birth=referral.date_of_birth, last_name__iexact=referral.last_name)
    if referral.phone:
        same_referral |= Q(phone=referral.phone)
    referrals = (
        Referral.objects.visible_to(user).filter(organization_id=referral.organization_id, stage__in=OPEN_STAGES)
        .filter(same_referral)
        .exclude(pk=referral.pk)
    )
    return list(patients[:10]), list(referrals[:10])


# A referral untouched this long at an open stage is stale: someone is waiting for a call back.
STALE_AFTER_DAYS = 2


def board(user, *, query: str = "", program_id: int | None = None):
    """Open referrals the user may see, grouped by stage, oldest action first within a stage."""
    from openiop.intake.enums import OPEN_STAGES
    from openiop.intake.models import Referral

    referrals = (
        Referral.objects.visible_to(user).filter(stage__in=OPEN_STAGES).search(query)
        .select_related("program", "patient").order_by("last_action_at", "id")
    )
    if program_id:
        referrals = referrals.filter(program_id=program_id)
    grouped = {stage: [] for stage in OPEN_STAGES}
    for referral in referrals:
        grouped[referral.stage].append(referral)
    return grouped


def recently_closed(user, limit: int = 20):
    from openiop.intake.enums import Stage
    from openiop.intake.models import Referral

    return list(
        Referral.objects.visible_to(user).filter(stage__in=(Stage.CLOSED, Stage.ADMITTED))
        .select_related("program", "patient").order_by("-last_action_at", "-id")[:limit]
    )


def waitlist(user):
    """Waitlisted referrals the user may see, by program, earliest expected start first."""
    from openiop.intake.enums import Stage
    from openiop.intake.models import Referral

    rows = (
        Referral.objects.visible_to(user)
        .filter(stage=Stage.ASSESSED, expected_start_on__isnull=False)
        .select_related("program", "patient").order_by("program__name", "expected_start_on", "id")
    )
    grouped: dict = {}
    for referral in rows:
        grouped.setdefault(referral.program, []).append(referral)
    return grouped


def pipeline_metrics(user, *, since):
    """Time from inquiry to first contact, assessment and admission (median days), and
    conversion by referral source, for referrals received since `since`. One query."""
    import statistics

    from openiop.intake.enums import CloseReason, Source, Stage
    from openiop.intake.models import Referral

    rows = list(
        Referral.objects.visible_to(user).filter(created_at__date__gte=since).values(
            "source", "stage", "close_reason", "created_at", "first_contact_at", "assessed_at", "admitted_at",
        )
    )

    def median_days(field):
        days = [(row[field] - row["created_at"]).total_seconds() / 86400 for row in rows if row[field]]
        return {"count": len(days), "median": round(statistics.median(days), 1) if days else None}

    by_source = []
    for source in Source:
        mine = [row for row in rows if row["source"] == source]
        if not mine:
            continue
        admitted = sum(1 for row in mine if row["stage"] == Stage.ADMITTED)
        by_source.append({
            "source": source.label, "referrals": len(mine), "admitted": admitted,
            "percent": round(100 * admitted / len(mine)),
            "closed": {reason.label: sum(1 for row in mine if row["close_reason"] == reason)
                       for reason in CloseReason},
        })
    return {
        "total": len(rows),
        "to_first_contact": median_days("first_contact_at"),
        "to_assessment": median_days("assessed_at"),
        "to_admission": median_days("admitted_at"),
        "by_source": by_source,
        "close_reasons": [reason.label for reason in CloseReason],
    }
