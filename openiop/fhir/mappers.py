"""One explicit mapper per FHIR R4 resource: `to_fhir_<resource>(record) -> dict`.

Mappers build plain dicts (fhir.resources validates them in the tests only). Each resource's
`meta` carries its record's security labels (security.py). References between resources in an
export use `urn:uuid:` fullUrls derived from the record, so they resolve inside the Bundle;
things that have no resource in the Bundle (organizations, payers, staff) are references with a
`display` (and an identifier where we have one).
"""

import uuid

from django.conf import settings

from openiop.care.models import EpisodeStatus
from openiop.fhir.security import SecurityLabelError, record_meta
from openiop.patients.enums import ContactMethod, CoverageKind
from openiop.privacy.labels import merge_labels

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


# --- references ------------------------------------------------------------------------------


def mrn_system() -> str:
    """The identifier system of our MRNs. An installation that exchanges data sets its own
    (e.g. `urn:oid:` of the organization) as OPENIOP_FHIR_MRN_SYSTEM, so its MRNs and
    resource ids do not collide with another installation's."""
    return getattr(settings, "OPENIOP_FHIR_MRN_SYSTEM", DEFAULT_MRN_SYSTEM)


def resource_id(resource_type: str, record) -> str:
    """A stable id for `record` as `resource_type`: the same record gets the same id in every
    export, so a receiver can recognise it again. Unique across installations only when each
    sets its own MRN system (with the default, two installations make the same ids)."""
    name = f"{mrn_system()}|{resource_type}/{record.pk}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def full_url(resource_type: str, record) -> str:
    return f"urn:uuid:{resource_id(resource_type, record)}"


def full_url_of(resource: dict) -> str:
    """The fullUrl of a mapped resource: the one `reference()` to its record points to."""
    return f"urn:uuid:{resource['id']}"


def reference(resource_type: str, record) -> dict:
    """A reference to a resource that is in the same Bundle (resolves by fullUrl)."""
    return {"reference": full_url(resource_type, record), "type": resource_type}


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


def new_resource(resource_type: str, record, labels) -> dict:
    """The common head of every resource: type, id and labelled meta."""
    try:
        meta = record_meta(labels)
    except SecurityLabelError as error:
        raise SecurityLabelError(f"{record._meta.label_lower} {record.pk}: {error}") from error
    return {"resourceType": resource_type, "id": resource_id(resource_type, record), "meta": meta}


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
    # EpisodeStatus values are the FHIR EpisodeOfCare.status codes (care/models.py).
    resource["status"] = episode.status
    resource["type"] = [{
        "coding": [coding(PROGRAM_KIND_SYSTEM, program.kind, program.get_kind_display())],
        "text": program.name,
    }]
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
