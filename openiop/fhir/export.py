"""Export one patient's record as a FHIR R4 `collection` Bundle.

The Bundle is assembled from EXPORT_SECTIONS, an ordered list of functions that each take the
patient and return that kind of resource for them, in a fixed order. Adding a resource type
(plans, measures, medications...) is writing its mapper in mappers.py and appending a section.

Where the 42 CFR Part 2 notice goes. FHIR R4 gives a Bundle no narrative, so when any entry is
a Part 2 record the §2.32 short statement (labels.PART2_SHORT_NOTICE) is carried three ways:

1. in the DS4P `extension-display` (an Annotation) on the Bundle's `meta` and on every Part 2
   resource's `meta`: the DS4P IG's element for "a marking that should be displayed when the
   resource is rendered", which DS4P-aware receivers render and keep with each resource;
2. as the `RedisclosureProhibitionMark` code in each Part 2 resource's `meta.security`, the
   computable mark whose HL7 definition cites the Part 2 redisclosure notice;
3. in the narrative (`text`, status `additional`) of the Patient resource, which is always the
   first entry: generic FHIR viewers show narrative even when they ignore extensions.

Not chosen: an OperationOutcome entry (a collection Bundle gives it no meaning, and it would
be counted and handled as a record) and a `meta.tag` display (tags are codes, not text).
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.html import escape

from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.care.models import AdmissionConsent, Diagnosis, EpisodeOfCare, LevelOfCareChange
from openiop.fhir.appointments import roster_rows, to_fhir_appointments
from openiop.fhir.encounters import encounters_section
from openiop.fhir.mappers import (
    full_url_of,
    to_fhir_care_team,
    to_fhir_condition,
    to_fhir_consent,
    to_fhir_coverage,
    to_fhir_episode_of_care,
    to_fhir_level_of_care_assessment,
    to_fhir_patient,
)
from openiop.fhir.measures import to_fhir_measures
from openiop.fhir.medications import drug_screens_section, medication_statements_section
from openiop.fhir.notes import notes_section
from openiop.fhir.plans import signed_versions_prefetch, to_fhir_plans
from openiop.fhir.security import bundle_meta, is_part2
from openiop.intake.models import LevelOfCareAssessment
from openiop.measures.models import Administration
from openiop.measures.models import Status as MeasureStatus
from openiop.measures.queries import available_instruments
from openiop.patients.models import Coverage, Patient
from openiop.patients.rules import CLINICAL, CONTACT, COVERAGE, DEMOGRAPHICS, chart_sections
from openiop.plans.models import Plan
from openiop.privacy.labels import PART2_SHORT_NOTICE

EXPORT_FORMAT = "fhir-r4-json"
# An export holds every part of the chart, so only someone who may open all of it may export.
EXPORTED_SECTIONS = frozenset({DEMOGRAPHICS, CONTACT, COVERAGE, CLINICAL})
XHTML_NAMESPACE = "http://www.w3.org/1999/xhtml"


# --- sections: each returns the patient's resources of one kind, in a fixed order ---------


def patient_section(patient) -> list[dict]:
    return [to_fhir_patient(patient)]


def _episodes(patient):
    return (
        EpisodeOfCare.objects.filter(patient=patient)
        .select_related("patient", "program__organization")
        .prefetch_related("diagnoses", "care_team__user")
        .order_by("admitted_on", "id")
    )


def episode_of_care_section(patient) -> list[dict]:
    # One query for every episode's level changes and who recorded them, however many.
    level_changes = Prefetch(
        "level_changes", queryset=LevelOfCareChange.objects.select_related("clinician")
    )
    episodes = _episodes(patient).prefetch_related(level_changes)
    return [to_fhir_episode_of_care(episode) for episode in episodes]


def care_team_section(patient) -> list[dict]:
    """One CareTeam per episode that has care team members."""
    return [
        to_fhir_care_team(episode) for episode in _episodes(patient) if episode.care_team.all()
    ]


def condition_section(patient) -> list[dict]:
    diagnoses = (
        Diagnosis.objects.filter(patient=patient)
        .select_related("patient", "recorded_by")
        .order_by("recorded_on", "icd10_code", "id")
    )
    return [to_fhir_condition(diagnosis) for diagnosis in diagnoses]


def coverage_section(patient) -> list[dict]:
    coverages = Coverage.objects.filter(patient=patient).select_related("patient").order_by(
        "priority", "id"
    )
    return [to_fhir_coverage(coverage) for coverage in coverages]


def level_of_care_assessment_section(patient) -> list[dict]:
    """Each signed level-of-care assessment about the patient (made for them as a patient, or
    for the referral that became them), oldest first, as a panel Observation and its members."""
    assessments = (
        LevelOfCareAssessment.objects.filter(Q(patient=patient) | Q(referral__patient=patient))
        .select_related("patient", "referral__patient", "signed_by")
        .order_by("signed_at", "id")
    )
    return [
        resource for assessment in assessments
        for resource in to_fhir_level_of_care_assessment(assessment)
    ]


def consent_section(patient) -> list[dict]:
    """The consents signed at admission, episode by episode."""
    consents = (
        AdmissionConsent.objects.filter(patient=patient)
        .select_related("patient", "episode__program__organization")
        .order_by("episode__admitted_on", "episode_id", "kind", "id")
    )
    return [to_fhir_consent(consent) for consent in consents]


def measures_section(patient) -> list[dict]:
    """The Questionnaires answered, then each completed (or entered-in-error) administration,
    oldest first, as a QuestionnaireResponse and its total Observation (fhir/measures.py)."""
    administrations = (
        Administration.objects.filter(
            patient=patient,
            status__in=(MeasureStatus.COMPLETED, MeasureStatus.ENTERED_IN_ERROR),
        )
        .select_related("patient", "entered_by")
        .order_by("answered_on", "completed_at", "id")
    )
    return to_fhir_measures(administrations, available_instruments(patient.organization_id))


def plans_section(patient) -> list[dict]:
    """The signed versions of the treatment and relapse-prevention plans, episode by episode,
    as Goals and CarePlans (fhir/plans.py). Drafts stay in the system."""
    plans = (
        Plan.objects.filter(patient=patient)
        .select_related("episode")
        .prefetch_related(signed_versions_prefetch())
        .order_by("episode__admitted_on", "episode_id", "kind")
    )
    return to_fhir_plans(plans)


def appointments_section(patient) -> list[dict]:
    """The sessions the patient is booked in, oldest first, as Appointments listing only this
    patient, the staff and the room, never another patient (fhir/appointments.py)."""
    return to_fhir_appointments(roster_rows(patient))


# The Patient comes first (its narrative carries the notice); later parts append here. Signed
# progress notes (group, individual, family, medication management) are part of the record and
# go in; SUD counseling notes and psychotherapy notes, kept apart from the record, never would
# (shared privacy.md §5 item 2; OpenIOP has no such record type yet, see docs/notes.md).
EXPORT_SECTIONS = [
    patient_section,
    episode_of_care_section,
    care_team_section,
    condition_section,
    coverage_section,
    level_of_care_assessment_section,
    consent_section,
    measures_section,
    plans_section,
    appointments_section,
    encounters_section,
    notes_section,
    medication_statements_section,
    drug_screens_section,
]


# --- the Bundle ------------------------------------------------------------------------------


def build_patient_bundle(patient, *, user=None) -> dict:
    """Return the patient's whole record as a FHIR R4 collection Bundle (a JSON-ready dict).

    `user` is the signed-in person exporting; None for an operator at the command line, whom
    the audit trail names from `command_context`. A user who may not open every part of the
    chart is refused (PermissionDenied) rather than sent a silently partial record.
    A record whose labels cannot be written stops the export (security.SecurityLabelError).
    Side effects: one `export` audit event (or one `denied` event when refused).
    """
    if user is not None:
        refuse_unless_may_export(user, patient)
    resources = [resource for section in EXPORT_SECTIONS for resource in section(patient)]
    if any(is_part2(resource) for resource in resources):
        (patient_resource,) = [r for r in resources if r["resourceType"] == "Patient"]
        add_notice_narrative(patient_resource, patient)
    timestamp = timezone.now().replace(microsecond=0).isoformat()
    bundle = {
        "resourceType": "Bundle",
        "meta": bundle_meta(resources, last_updated=timestamp),
        "type": "collection",
        "timestamp": timestamp,
        "entry": [
            {"fullUrl": full_url_of(resource), "resource": resource} for resource in resources
        ],
    }
    audit.record_export(
        user=user, patient=patient, export_format=EXPORT_FORMAT, resource_count=len(resources)
    )
    return bundle


def bundle_contains_part2(bundle: dict) -> bool:
    return any(is_part2(entry["resource"]) for entry in bundle["entry"])


def add_notice_narrative(patient_resource: dict, patient) -> None:
    """Put the §2.32 statement, then who the record is about, in the Patient's narrative."""
    summary = f"{patient.legal_name}, MRN {patient.mrn}, born {patient.date_of_birth.isoformat()}"
    # `text` goes right after `meta`, where FHIR's JSON puts it and a reader looks first.
    head = ("resourceType", "id", "meta")
    rest = {key: patient_resource.pop(key) for key in list(patient_resource) if key not in head}
    patient_resource["text"] = {
        # `additional`: the notice is not one of the Patient's own elements.
        "status": "additional",
        "div": (
            f'<div xmlns="{XHTML_NAMESPACE}"><p><b>{escape(PART2_SHORT_NOTICE)}</b></p>'
            f"<p>{escape(summary)}</p></div>"
        ),
    }
    patient_resource.update(rest)


def refuse_unless_may_export(user, patient) -> None:
    """Refuse (and audit) an export by someone who cannot see the patient or every chart part."""
    visible = Patient.objects.visible_to(user).filter(pk=patient.pk).exists()
    missing = EXPORTED_SECTIONS - chart_sections(user)
    if visible and not missing:
        return
    audit.record(user=user, action=Action.DENIED, patient=patient, detail={"format": EXPORT_FORMAT})
    if not visible:
        raise PermissionDenied("You cannot see this patient's record.")
    raise PermissionDenied(
        "Exporting a whole record needs access to every part of the chart; your role cannot "
        f"see: {', '.join(sorted(missing))}."
    )

