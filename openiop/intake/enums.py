from django.db import models


class Stage(models.TextChoices):
    INQUIRY = "inquiry", "Inquiry"
    CONTACTED = "contacted", "Contacted"
    SCREENING = "screening", "Screening"
    ASSESSMENT_SCHEDULED = "assessment_scheduled", "Assessment scheduled"
    ASSESSED = "assessed", "Assessed"
    ADMITTED = "admitted", "Admitted"
    CLOSED = "closed", "Closed"


OPEN_STAGES = (
    Stage.INQUIRY, Stage.CONTACTED, Stage.SCREENING, Stage.ASSESSMENT_SCHEDULED, Stage.ASSESSED,
)
# Where a referral may go from each stage. Closing is allowed from any open stage; admission
# only after an assessment (admit_referral checks that a signed assessment exists).
NEXT_STAGES = {
    Stage.INQUIRY: (Stage.CONTACTED, Stage.SCREENING, Stage.CLOSED),
    Stage.CONTACTED: (Stage.SCREENING, Stage.ASSESSMENT_SCHEDULED, Stage.CLOSED),
    Stage.SCREENING: (Stage.ASSESSMENT_SCHEDULED, Stage.CLOSED),
    Stage.ASSESSMENT_SCHEDULED: (Stage.ASSESSED, Stage.CLOSED),
    Stage.ASSESSED: (Stage.ADMITTED, Stage.CLOSED),
    Stage.ADMITTED: (),
    Stage.CLOSED: (),
}


class CloseReason(models.TextChoices):
    OTHER_LEVEL = "other_level", "Referred to another level of care"
    DECLINED = "declined", "Declined"
    NO_CONTACT = "no_contact", "Could not be contacted"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"


class Source(models.TextChoices):
    SELF = "self", "Self"
    FAMILY = "family", "Family"
    EMERGENCY_DEPARTMENT = "ed", "Hospital emergency department"
    STEP_DOWN = "step_down", "Step-down from inpatient, residential or PHP"
    PRIMARY_CARE = "primary_care", "Primary care"
    THERAPIST = "therapist", "Therapist"
    COURT = "court", "Court"
    EAP = "eap", "Employee assistance program"
    OTHER = "other", "Other"


class ForWhom(models.TextChoices):
    SELF = "self", "Myself"
    FAMILY_MEMBER = "family", "A family member or someone I care about"


class WithdrawalRisk(models.TextChoices):
    NONE = "none", "None reported"
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High: needs medical evaluation"


class YesNo(models.TextChoices):
    NO = "no", "No"
    YES = "yes", "Yes"
    UNKNOWN = "unknown", "Did not answer"
