"""One explicit mapper per FHIR R4 resource: `to_fhir_<resource>(record) -> dict`.

Mappers build plain dicts (fhir.resources validates them in the tests only). Each resource's
`meta` carries its record's security labels (security.py). References between resources in an
export use `urn:uuid:` fullUrls derived from the record, so they resolve inside the Bundle;
things that have no resource in the Bundle (organizations, payers, staff) are references with a
`display` (and an identifier where we have one).
"""

import uuid

from django.conf import settings

from openiop.care.models import ConsentKind, EpisodeStatus
from openiop.fhir.security import SecurityLabelError, record_meta
from openiop.intake.levels import CARE_LEVEL_CHOICES, FRAMEWORKS
from openiop.patients.enums import ContactMethod, CoverageKind
from openiop.privacy.labels import ACT_CODE_SYSTEM, LABEL_DISPLAY, merge_labels

DEFAULT_MRN_SYSTEM = "urn:openiop:mrn"
ICD10CM_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
BCP47_SYSTEM = "urn:ietf:bcp:47"
PROGRAM_KIND_SYSTEM = "urn:openiop:program-kind"

# Extensions: FHIR core (R4) unless marked US Core.
GENDER_IDENTITY_URL = "http://hl7.org/fhir/StructureDefinition/patient-genderIdentity"
PRONOUNS_URL = "http://hl7.org/fhir/StructureDefinition/individual-pronouns"
INTERPRETER_REQUIRED_URL = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"
US_CORE_BIRTH_SEX_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
# OpenIOP's own extensions and code systems. They are logical names (urn:), which R4 allows for
# Extension.url; their definitions are in docs/fhir.md. No published StructureDefinition yet.
PLANNED_WEEKLY_HOURS_URL = "urn:openiop:fhir:extension:planned-weekly-hours"
EXPECTED_LENGTH_OF_STAY_URL = "urn:openiop:fhir:extension:expected-length-of-stay"
LEVEL_OF_CARE_HISTORY_URL = "urn:openiop:fhir:extension:level-of-care-history"
CARE_LEVEL_SYSTEM = "urn:openiop:level-of-care"
CARE_LEVEL_NAMES = dict(CARE_LEVEL_CHOICES)
UCUM_SYSTEM = "http://unitsofmeasure.org"


# --- references ------------------------------------------------------------------------------


def mrn_system() -> str:
    """The identifier system of our MRNs. An installation that exchanges data sets its own
    (e.g. `urn:oid:` of the organization) as OPENIOP_FHIR_MRN_SYSTEM, so its MRNs and
    resource ids do not collide with another installation's."""
    return getattr(settings, "OPENIOP_FHIR_MRN_SYSTEM", DEFAULT_MRN_SYSTEM)


def resource_id(resource_type: str, record, *, key: str | None = None) -> str:
    """A stable id for `record` as `resource_type`: the same record gets the same id in every
    export, so a receiver can recognise it again. Unique across installations only when each
    sets its own MRN system (with the default, two installations make the same ids).

    `key` names the record instead of its primary key, for resource types that several kinds
    of record map to (an Observation from an assessment is not the Observation of a measure
    with the same database id) or that one record maps to several times (one Observation per
    rated dimension)."""
    name = f"{mrn_system()}|{resource_type}/{record.pk if key is None else key}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def full_url(resource_type: str, record, *, key: str | None = None) -> str:
    return f"urn:uuid:{resource_id(resource_type, record, key=key)}"


def full_url_of(resource: dict) -> str:
    """The fullUrl of a mapped resource: the one `reference()` to its record points to."""
    return f"urn:uuid:{resource['id']}"


def reference(resource_type: str, record, *, key: str | None = None) -> dict:
    """A reference to a resource that is in the same Bundle (resolves by fullUrl)."""
    return {"reference": full_url(resource_type, record, key=key), "type": resource_type}


def organization_reference(organization) -> dict:
    """A display-only reference: organizations have no resource in the export yet."""
    ref = {"type": "Organization", "display": organization.name}
    if organization.npi:
        ref["identifier"] = {"system": NPI_SYSTEM, "value": organization.npi}
    return ref


def practitioner_reference(user) -> dict:
    """A display-only reference to a staff member (no Practitioner resources in the export)."""
    return {"type": "Practitioner", "display": user.display_name}


def coding(system: str, code: str, display: str) -> dict:
    return {"system": system, "code": code, "display": display}


def period(start, end) -> dict:
    result = {}
    if start:
        result["start"] = start.isoformat()
    if end:
        result["end"] = end.isoformat()
    return result


def new_resource(resource_type: str, record, labels, *, key: str | None = None) -> dict:
    """The common head of every resource: type, id and labelled meta."""
    try:
        meta = record_meta(labels)
    except SecurityLabelError as error:
        raise SecurityLabelError(f"{record._meta.label_lower} {record.pk}: {error}") from error
    return {
        "resourceType": resource_type, "id": resource_id(resource_type, record, key=key), "meta": meta,
    }


# --- Patient ---------------------------------------------------------------------------------

# Administrative gender (male | female | other | unknown) from what the chart records. Only
# values that map without guessing: "Non-binary" and other identities have no R4 administrative
# gender equivalent, so `gender` is left out and the identity travels in its extension.
ADMINISTRATIVE_GENDER = {
    "man": "male", "male": "male", "transgender man": "male",
    "woman": "female", "female": "female", "transgender woman": "female",
}
BIRTH_SEX = {"female": "F", "male": "M"}
LANGUAGE_CODES = {
    "english": "en", "spanish": "es", "portuguese": "pt", "haitian creole": "ht",
    "polish": "pl", "gujarati": "gu", "french": "fr", "chinese": "zh", "mandarin": "zh",
    "cantonese": "yue", "vietnamese": "vi", "arabic": "ar", "russian": "ru", "korean": "ko",
    "tagalog": "tl", "italian": "it", "german": "de", "hindi": "hi", "urdu": "ur",
    "bengali": "bn", "japanese": "ja", "somali": "so", "american sign language": "ase",
}


def to_fhir_patient(patient) -> dict:
    resource = new_resource("Patient", patient, patient.security_labels)
    resource["extension"] = patient_extensions(patient)
    resource["identifier"] = [{
        "use": "usual",
        "type": {"coding": [coding(
            "http://terminology.hl7.org/CodeSystem/v2-0203", "MR", "Medical record number"
        )]},
        "system": mrn_system(),
        "value": patient.mrn,
    }]
    resource["name"] = patient_names(patient)
    if telecom := patient_telecom(patient):
        resource["telecom"] = telecom
    if gender := administrative_gender(patient):
        resource["gender"] = gender
    resource["birthDate"] = patient.date_of_birth.isoformat()
    if address := patient_address(patient):
        resource["address"] = [address]
    if contact := emergency_contact(patient):
        resource["contact"] = [contact]
    resource["communication"] = [
        {"language": language_concept(patient.language), "preferred": True}
    ]
    resource["managingOrganization"] = organization_reference(patient.organization)
    return resource


def patient_extensions(patient) -> list[dict]:
    extensions = []
    if sex := BIRTH_SEX.get(patient.sex_assigned_at_birth.strip().lower()):
        extensions.append({"url": US_CORE_BIRTH_SEX_URL, "valueCode": sex})
    if patient.gender_identity:
        extensions.append({
            "url": GENDER_IDENTITY_URL, "valueCodeableConcept": {"text": patient.gender_identity},
        })
    if patient.pronouns:
        extensions.append({
            "url": PRONOUNS_URL,
            "extension": [{"url": "value", "valueCodeableConcept": {"text": patient.pronouns}}],
        })
    extensions.append({"url": INTERPRETER_REQUIRED_URL, "valueBoolean": patient.interpreter_needed})
    return extensions


def patient_names(patient) -> list[dict]:
    given = [name for name in (patient.legal_first_name, patient.legal_middle_name) if name]
    names = [{
        "use": "official", "text": patient.legal_name,
        "family": patient.legal_last_name, "given": given,
    }]
    if patient.preferred_name:
        names.append({
            "use": "usual", "text": patient.display_name,
            "family": patient.legal_last_name, "given": [patient.preferred_name],
        })
    return names


def administrative_gender(patient) -> str | None:
    """Gender from the gender identity; from the sex assigned at birth only when no identity is
    recorded; nothing when neither maps."""
    if patient.gender_identity:
        return ADMINISTRATIVE_GENDER.get(patient.gender_identity.strip().lower())
    return ADMINISTRATIVE_GENDER.get(patient.sex_assigned_at_birth.strip().lower())


def patient_telecom(patient) -> list[dict]:
    telecom = []
    if patient.phone:
        phone = {"system": "phone", "value": patient.phone}
        if patient.preferred_contact in (ContactMethod.PHONE, ContactMethod.TEXT):
            phone["rank"] = 1
        telecom.append(phone)
    if patient.email:
        email = {"system": "email", "value": patient.email}
        if patient.preferred_contact == ContactMethod.EMAIL:
            email["rank"] = 1
        telecom.append(email)
    return telecom


def patient_address(patient) -> dict | None:
    parts = {
        "line": [patient.address_line] if patient.address_line else None,
        "city": patient.city, "state": patient.state, "postalCode": patient.postal_code,
    }
    parts = {key: value for key, value in parts.items() if value}
    return {"use": "home", **parts} if parts else None


def emergency_contact(patient) -> dict | None:
    if not (patient.emergency_contact_name or patient.emergency_contact_phone):
        return None
    relationship = [{"coding": [coding(
        "http://terminology.hl7.org/CodeSystem/v2-0131", "C", "Emergency Contact"
    )]}]
    if patient.emergency_contact_relationship:
        relationship.append({"text": patient.get_emergency_contact_relationship_display()})
    contact: dict = {"relationship": relationship}
    if patient.emergency_contact_name:
        contact["name"] = {"text": patient.emergency_contact_name}
    if patient.emergency_contact_phone:
        contact["telecom"] = [{"system": "phone", "value": patient.emergency_contact_phone}]
    return contact


def language_concept(language: str) -> dict:
    code = LANGUAGE_CODES.get(language.strip().lower())
    if code is None:
        return {"text": language}
    return {"coding": [coding(BCP47_SYSTEM, code, language)], "text": language}


# --- EpisodeOfCare ---------------------------------------------------------------------------


def to_fhir_episode_of_care(episode) -> dict:
    """Map an episode. Its diagnoses are ranked primary first; `team` points to the episode's
    CareTeam when it has members (care_team_members(episode))."""
    program = episode.program
    resource = new_resource("EpisodeOfCare", episode, episode.security_labels)
    if extensions := episode_extensions(episode):
        resource["extension"] = extensions
    # EpisodeStatus values are the FHIR EpisodeOfCare.status codes (care/models.py).
    resource["status"] = episode.status
    # The kind of program, then the level of care the patient is at now (the history of
    # levels is in the level-of-care-history extension).
    resource["type"] = [
        {
            "coding": [coding(PROGRAM_KIND_SYSTEM, program.kind, program.get_kind_display())],
            "text": program.name,
        },
        care_level_concept(episode.level_of_care),
    ]
    if diagnoses := ranked_diagnoses(episode):
        resource["diagnosis"] = [
            {"condition": reference("Condition", diagnosis), "rank": rank}
            for rank, diagnosis in enumerate(diagnoses, start=1)
        ]
    resource["patient"] = reference("Patient", episode.patient)
    resource["managingOrganization"] = organization_reference(program.organization)
    resource["period"] = period(episode.admitted_on, episode.discharged_on)
    if care_team_members(episode):
        resource["team"] = [reference("CareTeam", episode)]
    return resource


def care_level_concept(level: str) -> dict:
    display = CARE_LEVEL_NAMES.get(level, level)
    return {"coding": [coding(CARE_LEVEL_SYSTEM, level, display)], "text": display}


def episode_extensions(episode) -> list[dict]:
    """Planned hours a week, expected length of stay and the level-of-care history."""
    extensions = []
    if episode.planned_weekly_hours is not None:
        extensions.append({"url": PLANNED_WEEKLY_HOURS_URL, "valueQuantity": {
            "value": plain_number(episode.planned_weekly_hours), "unit": "hours per week",
            "system": UCUM_SYSTEM, "code": "h/wk",
        }})
    if episode.expected_length_of_stay_days is not None:
        extensions.append({"url": EXPECTED_LENGTH_OF_STAY_URL, "valueDuration": {
            "value": episode.expected_length_of_stay_days, "unit": "days",
            "system": UCUM_SYSTEM, "code": "d",
        }})
    extensions.extend(level_of_care_history(episode))
    return extensions


def level_of_care_history(episode) -> list[dict]:
    """One extension per level the episode has been at, oldest first: the level, the period
    it lasted (open while current), the clinical reason and the clinician who recorded it."""
    changes = sorted(episode.level_changes.all(), key=lambda c: (c.changed_on, c.pk))
    history = []
    for index, change in enumerate(changes):
        following = changes[index + 1] if index + 1 < len(changes) else None
        end = following.changed_on if following else episode.discharged_on
        parts = [
            {"url": "level", "valueCoding": coding(
                CARE_LEVEL_SYSTEM, change.to_level, CARE_LEVEL_NAMES.get(change.to_level, change.to_level)
            )},
            {"url": "period", "valuePeriod": period(change.changed_on, end)},
            {"url": "reason", "valueString": change.reason},
            {"url": "clinician", "valueReference": practitioner_reference(change.clinician)},
        ]
        history.append({"url": LEVEL_OF_CARE_HISTORY_URL, "extension": parts})
    return history


def plain_number(value):
    """A Decimal as JSON can carry it: an int when whole, else a float."""
    return int(value) if value == value.to_integral_value() else float(value)


def ranked_diagnoses(episode) -> list:
    return sorted(
        episode.diagnoses.all(),
        key=lambda d: (not d.is_primary, d.recorded_on, d.icd10_code, d.pk),
    )


def care_team_members(episode) -> list:
    return sorted(episode.care_team.all(), key=lambda m: (m.start_date, m.role, m.pk))


# --- CareTeam --------------------------------------------------------------------------------

CARE_TEAM_STATUS = {
    EpisodeStatus.PLANNED: "proposed",
    EpisodeStatus.WAITLIST: "proposed",
    EpisodeStatus.ACTIVE: "active",
    EpisodeStatus.ONHOLD: "suspended",
    EpisodeStatus.FINISHED: "inactive",
    EpisodeStatus.CANCELLED: "inactive",
}


def to_fhir_care_team(episode) -> dict:
    """Map the care team of one episode (its CareTeamMember records) to one CareTeam.

    Its labels merge the episode's and every member record's, most protective first: the team
    reveals the program the patient is in as much as the episode does.
    """
    members = care_team_members(episode)
    labels = merge_labels(episode.security_labels, *(m.security_labels for m in members))
    resource = new_resource("CareTeam", episode, labels)
    resource["status"] = CARE_TEAM_STATUS[episode.status]
    resource["category"] = [{"coding": [coding(
        "http://loinc.org", "LA27977-0", "Episode of care-focused care team"
    )]}]
    resource["name"] = f"{episode.program.name} care team"
    resource["subject"] = reference("Patient", episode.patient)
    resource["period"] = period(episode.admitted_on, episode.discharged_on)
    resource["participant"] = [
        {
            "role": [{"text": member.get_role_display()}],
            "member": practitioner_reference(member.user),
            "period": period(member.start_date, member.end_date),
        }
        for member in members
    ]
    resource["managingOrganization"] = [organization_reference(episode.program.organization)]
    return resource


# --- Condition -------------------------------------------------------------------------------

CLINICAL_STATUS_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-clinical"


def to_fhir_condition(diagnosis) -> dict:
    """Map a diagnosis. It is a problem-list item, not an encounter diagnosis: it is kept for
    the whole episode and resolved when it no longer applies (and there is no Encounter to tie
    it to)."""
    resource = new_resource("Condition", diagnosis, diagnosis.security_labels)
    resolved = diagnosis.resolved_on is not None
    clinical_status = ("resolved", "Resolved") if resolved else ("active", "Active")
    resource["clinicalStatus"] = {"coding": [coding(CLINICAL_STATUS_SYSTEM, *clinical_status)]}
    resource["verificationStatus"] = {"coding": [coding(
        "http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed", "Confirmed"
    )]}
    resource["category"] = [{"coding": [coding(
        "http://terminology.hl7.org/CodeSystem/condition-category",
        "problem-list-item", "Problem List Item",
    )]}]
    resource["code"] = {
        "coding": [coding(ICD10CM_SYSTEM, diagnosis.icd10_code, diagnosis.description)],
        "text": diagnosis.description,
    }
    resource["subject"] = reference("Patient", diagnosis.patient)
    if diagnosis.onset_date:
        resource["onsetDateTime"] = diagnosis.onset_date.isoformat()
    if resolved:
        resource["abatementDateTime"] = diagnosis.resolved_on.isoformat()
    resource["recordedDate"] = diagnosis.recorded_on.isoformat()
    if diagnosis.recorded_by is not None:
        resource["recorder"] = practitioner_reference(diagnosis.recorded_by)
    return resource


# --- Coverage --------------------------------------------------------------------------------

PAYER_TYPE_SYSTEM = "urn:oid:2.16.840.1.113883.3.221.5"  # PHDSC Source of Payment Typology
SELF_PAY_SYSTEM = "http://terminology.hl7.org/CodeSystem/coverage-selfpay"
# Source of Payment Typology codes (the US Core binding for Coverage.type), and for self-pay
# also FHIR's own "pay" code, which R4 names for coverage paid by the patient.
COVERAGE_TYPE_CODINGS = {
    CoverageKind.MEDICARE: [coding(PAYER_TYPE_SYSTEM, "1", "MEDICARE")],
    CoverageKind.MEDICAID: [coding(PAYER_TYPE_SYSTEM, "2", "MEDICAID")],
    CoverageKind.COMMERCIAL: [coding(PAYER_TYPE_SYSTEM, "5", "PRIVATE HEALTH INSURANCE")],
    CoverageKind.SELF_PAY: [
        coding(SELF_PAY_SYSTEM, "pay", "Pay"),
        coding(PAYER_TYPE_SYSTEM, "81", "Self-pay"),
    ],
}


def to_fhir_coverage(coverage) -> dict:
    """Map a coverage. Status stays `active` when the coverage has ended: in R4 the status is
    that of the record, and the end shows in `period`."""
    patient = coverage.patient
    resource = new_resource("Coverage", coverage, coverage.security_labels)
    resource["status"] = "active"
    resource["type"] = {
        "coding": COVERAGE_TYPE_CODINGS.get(coverage.kind, []),
        "text": coverage.get_kind_display(),
    }
    patient_is_subscriber = subscriber_is_patient(coverage)
    if patient_is_subscriber:
        resource["subscriber"] = reference("Patient", patient)
    else:
        resource["subscriber"] = {"display": coverage.subscriber_name}
    if coverage.member_id:
        resource["subscriberId"] = coverage.member_id
    resource["beneficiary"] = reference("Patient", patient)
    # The relationship of a named subscriber other than the patient is not recorded.
    if patient_is_subscriber:
        resource["relationship"] = {"coding": [coding(
            "http://terminology.hl7.org/CodeSystem/subscriber-relationship", "self", "Self"
        )]}
    if coverage_period := period(coverage.start_date, coverage.end_date):
        resource["period"] = coverage_period
    resource["payor"] = [payor_reference(coverage)]
    if coverage.group_number:
        resource["class"] = [{
            "type": {"coding": [coding(
                "http://terminology.hl7.org/CodeSystem/coverage-class", "group", "Group"
            )]},
            "value": coverage.group_number,
        }]
    resource["order"] = coverage.priority
    return resource


def subscriber_is_patient(coverage) -> bool:
    name = coverage.subscriber_name.strip().lower()
    return not name or name in {
        coverage.patient.legal_name.lower(), coverage.patient.display_name.lower()
    }


def payor_reference(coverage) -> dict:
    """Self-pay: the patient pays (resolves in the Bundle). Otherwise the payer, by name."""
    if coverage.kind == CoverageKind.SELF_PAY:
        return reference("Patient", coverage.patient)
    return {"type": "Organization", "display": coverage.payer_name}


# --- Observation: the level-of-care assessment -----------------------------------------------

OBSERVATION_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
DATA_ABSENT_REASON_SYSTEM = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
ASSESSMENT_SYSTEM = "urn:openiop:level-of-care-assessment"
ASSESSMENT_ITEM_SYSTEM = "urn:openiop:level-of-care-assessment-item"
# Only the frameworks' names: criteria text, anchors and decision tables are licensed and are
# not in OpenIOP (openiop/intake/levels.py).
ASSESSMENT_TITLES = {
    "asam3": "ASAM 3rd edition level-of-care assessment",
    "asam4": "ASAM 4th edition level-of-care assessment",
    "locus": "LOCUS level-of-care assessment",
}
ASSESSMENT_ITEMS = {
    "recommended-level": "Recommended level of care",
    "actual-level": "Level of care decided",
    "variance-reason": "Reason the level decided differs from the level recommended",
    "locus-composite": "LOCUS composite score",
}


def assessment_key(assessment, dimension: str | None = None) -> str:
    key = f"level-of-care-assessment-{assessment.pk}"
    return f"{key}-{dimension}" if dimension else key


def assessment_patient(assessment):
    """The patient an assessment is about: its own, or its referral's once admitted."""
    if assessment.patient is not None:
        return assessment.patient
    return assessment.referral.patient if assessment.referral is not None else None


def framework_level_system(framework: str) -> str:
    return f"urn:openiop:{framework}-level"


def framework_dimension_system(framework: str) -> str:
    return f"urn:openiop:{framework}-dimension"


def to_fhir_level_of_care_assessment(assessment) -> list[dict]:
    """Map a signed level-of-care assessment to an Observation set: one panel Observation
    with the recommended and decided levels (and the reason for any difference, and the LOCUS
    composite) as components and `hasMember` pointing to one Observation per dimension, which
    carries the clinician's rating and rationale. Panel first, then dimensions in order."""
    spec = FRAMEWORKS[assessment.framework]
    dimensions = [
        dimension for dimension in spec.dimensions
        if rating_entry(assessment, dimension.key) is not None
    ]
    panel = assessment_observation(assessment, key=assessment_key(assessment))
    title = ASSESSMENT_TITLES.get(spec.key, f"{spec.name} level-of-care assessment")
    panel["code"] = {"coding": [coding(ASSESSMENT_SYSTEM, spec.key, spec.name)], "text": title}
    add_subject_time_and_signer(panel, assessment)
    if assessment.escalations:
        panel["note"] = [
            {"text": f"Shown to the clinician at signing: {escalation['message']}"}
            for escalation in assessment.escalations
        ]
    if dimensions:
        panel["hasMember"] = [
            reference("Observation", assessment, key=assessment_key(assessment, dimension.key))
            for dimension in dimensions
        ]
    panel["component"] = assessment_components(assessment, spec)
    members = [dimension_observation(assessment, spec, dimension) for dimension in dimensions]
    return [panel, *members]


def rating_entry(assessment, key: str) -> dict | None:
    """The clinician's entry for one dimension, if one was made (rating or rationale)."""
    entry = (assessment.ratings or {}).get(key)
    if not entry or (entry.get("rating") is None and not str(entry.get("rationale", "")).strip()):
        return None
    return entry


def assessment_observation(assessment, *, key: str) -> dict:
    resource = new_resource("Observation", assessment, assessment.security_labels, key=key)
    resource["status"] = "final"
    resource["category"] = [{"coding": [coding(OBSERVATION_CATEGORY_SYSTEM, "survey", "Survey")]}]
    return resource


def add_subject_time_and_signer(resource: dict, assessment) -> None:
    """Subject, time and signer, in FHIR's element order after `code`."""
    signed_at = assessment.signed_at.isoformat(timespec="seconds")
    # The export maps only assessments about a patient; one of a referral not (yet) admitted
    # has no Patient to point to.
    if (patient := assessment_patient(assessment)) is not None:
        resource["subject"] = reference("Patient", patient)
    resource["effectiveDateTime"] = signed_at
    resource["issued"] = signed_at
    resource["performer"] = [practitioner_reference(assessment.signed_by)]


def assessment_components(assessment, spec) -> list[dict]:
    components = [
        assessment_component("recommended-level", {
            "valueCodeableConcept": framework_level_concept(spec, assessment.recommended_level),
        }),
        assessment_component("actual-level", {
            "valueCodeableConcept": framework_level_concept(spec, assessment.actual_level),
        }),
    ]
    if assessment.variance_reason:
        components.append(
            assessment_component("variance-reason", {"valueString": assessment.variance_reason})
        )
    if assessment.locus_composite is not None:
        components.append(
            assessment_component("locus-composite", {"valueInteger": assessment.locus_composite})
        )
    return components


def assessment_component(code: str, value: dict) -> dict:
    display = ASSESSMENT_ITEMS[code]
    return {"code": {"coding": [coding(ASSESSMENT_ITEM_SYSTEM, code, display)], "text": display}, **value}


def framework_level_concept(spec, code: str) -> dict:
    level = spec.level(code)
    name = level.name if level else code
    return {
        "coding": [coding(framework_level_system(spec.key), code, name)],
        "text": f"{code} {name}",
    }


def dimension_observation(assessment, spec, dimension) -> dict:
    entry = rating_entry(assessment, dimension.key)
    resource = assessment_observation(assessment, key=assessment_key(assessment, dimension.key))
    resource["code"] = {
        "coding": [coding(framework_dimension_system(spec.key), dimension.key, dimension.name)],
        "text": dimension.name,
    }
    add_subject_time_and_signer(resource, assessment)
    if entry.get("rating") is not None:
        resource["valueInteger"] = entry["rating"]
    else:
        # ASAM 4th edition dimension 6 informs the choice of program and carries no rating.
        resource["dataAbsentReason"] = {"coding": [coding(
            DATA_ABSENT_REASON_SYSTEM, "not-applicable", "Not Applicable"
        )]}
    if rationale := str(entry.get("rationale", "")).strip():
        resource["note"] = [{"text": rationale}]
    return resource


# --- Consent: what was signed at admission ---------------------------------------------------

CONSENT_SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentcategorycodes"
LOINC_SYSTEM = "http://loinc.org"
PART2_REGULATION_URL = "https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2"
HIPAA_NOTICE_REGULATION_URL = (
    "https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-E/section-164.520"
)
# Consent kind -> (scope code, scope display). Notices and family access are about privacy;
# treatment, telehealth and the financial agreement are about the treatment given.
CONSENT_SCOPES = {
    ConsentKind.TREATMENT: ("treatment", "Treatment"),
    ConsentKind.TELEHEALTH: ("treatment", "Treatment"),
    ConsentKind.FINANCIAL: ("treatment", "Treatment"),
    ConsentKind.PART2_NOTICE: ("patient-privacy", "Privacy Consent"),
    ConsentKind.PRIVACY_NOTICE: ("patient-privacy", "Privacy Consent"),
    ConsentKind.FAMILY_PORTAL: ("patient-privacy", "Privacy Consent"),
}
# Notices are acknowledged, not agreed to: they permit nothing, so they get no provision.
PERMITTING_CONSENTS = {
    ConsentKind.TREATMENT, ConsentKind.TELEHEALTH, ConsentKind.FINANCIAL, ConsentKind.FAMILY_PORTAL,
}


def admission_consent_key(consent) -> str:
    return f"admission-consent-{consent.pk}"


def to_fhir_consent(consent) -> dict:
    """Map a consent signed at admission: what it was, when, for which organization. The
    signed form itself is not in OpenIOP yet, so there is no `source`."""
    organization = consent.episode.program.organization
    label = consent.get_kind_display()
    resource = new_resource(
        "Consent", consent, consent.security_labels, key=admission_consent_key(consent)
    )
    resource["status"] = "active"
    resource["scope"] = {"coding": [coding(CONSENT_SCOPE_SYSTEM, *CONSENT_SCOPES[consent.kind])]}
    if consent.kind == ConsentKind.PRIVACY_NOTICE:
        category = {"coding": [coding(
            CONSENT_CATEGORY_SYSTEM, "npp", "Notice of Privacy Practices"
        )], "text": label}
    else:
        # LOINC 59284-0, the patient consent document code the R4 examples use.
        category = {"coding": [{"system": LOINC_SYSTEM, "code": "59284-0"}], "text": label}
    resource["category"] = [category]
    resource["patient"] = reference("Patient", consent.patient)
    resource["dateTime"] = consent.signed_on.isoformat()
    resource["organization"] = [organization_reference(organization)]
    # R4 requires a policy or a policy rule (invariant ppc-1).
    if consent.kind == ConsentKind.PART2_NOTICE:
        resource["policy"] = [{"uri": PART2_REGULATION_URL}]
        resource["policyRule"] = {"coding": [coding(
            ACT_CODE_SYSTEM, "42CFRPart2", LABEL_DISPLAY["42CFRPart2"]
        )]}
    elif consent.kind == ConsentKind.PRIVACY_NOTICE:
        resource["policy"] = [{"uri": HIPAA_NOTICE_REGULATION_URL}]
        resource["policyRule"] = {"text": "HIPAA notice of privacy practices (45 CFR 164.520)"}
    else:
        resource["policyRule"] = {"text": f"{organization.name}: {label}"}
    if consent.kind in PERMITTING_CONSENTS:
        resource["provision"] = {"type": "permit", "period": period(consent.signed_on, None)}
    return resource
