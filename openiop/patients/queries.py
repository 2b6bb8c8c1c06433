"""Reads of patient data. Every query over patient records goes through `visible_to(user)`."""

import datetime as dt
import re

from django.db import models
from django.db.models import Q
from django.utils import timezone

from openiop.accounts.enums import Role
from openiop.patients.rules import CLINICAL, chart_sections

# Roles that see every patient of their organization (with the sections rules.py allows).
ORGANIZATION_WIDE_ROLES = frozenset({Role.DIRECTOR, Role.INTAKE, Role.FRONT_DESK, Role.BILLING})
MRN_PATTERN = re.compile(r"^[A-Za-z]{0,3}\d{3,}$")


class PatientQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Return the patients `user` may see at all; everyone else gets nothing (and a 404)."""
        if user is None or not user.is_authenticated:
            return self.none()
        role = user.role
        if role in ORGANIZATION_WIDE_ROLES:
            return self.filter(organization_id=user.organization_id)
        if role in (Role.CLINICIAN, Role.PRESCRIBER):
            return self.filter(_treating_clinician_filter(user))
        if role == Role.PATIENT:
            return self.filter(pk=user.patient_id) if user.patient_id else self.none()
        if role == Role.FAMILY:
            from openiop.patients.models import FamilyMember

            consented = FamilyMember.objects.filter(
                user=user, portal_consent_on__isnull=False, portal_consent_revoked_on__isnull=True
            ).values("patient_id")
            return self.filter(pk__in=consented)
        # Privacy officers and administrators do not open charts; the privacy officer's
        # access reports go through the audit app.
        return self.none()

    def search(self, query: str):
        """Filter by MRN, date of birth (YYYY-MM-DD or MM/DD/YYYY) or name words."""
        query = (query or "").strip()
        if not query:
            return self
        birth_date = parse_birth_date(query)
        if birth_date is not None:
            return self.filter(date_of_birth=birth_date)
        if MRN_PATTERN.match(query):
            return self.filter(mrn__iexact=query) | self.filter(mrn__iendswith=query)
        result = self
        for word in query.replace(",", " ").split():
            result = result.filter(
                Q(legal_last_name__icontains=word)
                | Q(legal_first_name__icontains=word)
                | Q(preferred_name__icontains=word)
            )
        return result


def _treating_clinician_filter(user) -> Q:
    """Patients of the clinician's programs or care teams, or opened by break-the-glass."""
    from openiop.care.models import CareTeamMember, EpisodeOfCare
    from openiop.privacy.models import BreakGlassAccess

    in_my_programs = EpisodeOfCare.objects.filter(
        program__in=user.programs.all()
    ).values("patient_id")
    on_my_care_teams = CareTeamMember.objects.filter(user=user).values("episode__patient_id")
    broke_glass = BreakGlassAccess.objects.filter(
        user=user, expires_at__gt=timezone.now()
    ).values("patient_id")
    return Q(pk__in=in_my_programs) | Q(pk__in=on_my_care_teams) | Q(pk__in=broke_glass)


class PatientDataQuerySet(models.QuerySet):
    """Records that belong to a patient (coverage, episodes, diagnoses, ...)."""

    # Records of this kind are clinical content (hidden from front desk and billing).
    clinical = False

    def visible_to(self, user):
        from openiop.patients.models import Patient

        if self.clinical and CLINICAL not in chart_sections(user):
            return self.none()
        return self.filter(patient__in=Patient.objects.visible_to(user).values("pk"))


class ClinicalRecordQuerySet(PatientDataQuerySet):
    clinical = True


def parse_birth_date(text: str) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def get_visible_patient(user, mrn: str):
    """Return the patient with `mrn` if `user` may see them, else None (the view shows 404)."""
    from openiop.patients.models import Patient

    return Patient.objects.visible_to(user).filter(mrn=mrn).first()


# The deliberate exceptions to visible_to(user), named so an auditor finds them here.


def patient_for_emergency_access(user, mrn: str):
    """The patient a treating clinician asks emergency access to: by design not yet visible
    to them, so found within their organization only (HIPAA 164.312(a)(2)(ii))."""
    from openiop.patients.models import Patient
    from openiop.patients.rules import can_break_glass

    if not can_break_glass(user):
        return None
    return Patient.objects.filter(organization_id=user.organization_id, mrn=mrn).first()


def patient_for_denial_audit(user, mrn: str):
    """The patient a refused chart request named, so the refusal appears in their access
    report. Never shown to the person refused."""
    from openiop.patients.models import Patient

    if not user.is_authenticated or not user.organization_id:
        return None
    return Patient.objects.filter(organization_id=user.organization_id, mrn=mrn).first()


def patient_for_access_report(user, mrn: str):
    """The patient whose access report the privacy officer (or director) reads. The report
    shows who looked at the record, not the record itself."""
    from openiop.accounts.enums import PRIVACY_ROLES
    from openiop.patients.models import Patient

    if user.role not in PRIVACY_ROLES:
        return None
    return Patient.objects.filter(organization_id=user.organization_id, mrn=mrn).first()


def patient_for_command_line(mrn: str):
    """The patient an operator names on the command line (`openiop fhir export`). Commands run
    with the database's own access and no signed-in user; the audit trail names the operator
    (`cli:<os user>`, audit.context.command_context)."""
    from openiop.patients.models import Patient

    return Patient.objects.filter(mrn__iexact=mrn.strip()).first()
