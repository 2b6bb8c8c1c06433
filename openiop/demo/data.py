"""Tables the demo clinic and `openiop seed` draw from.

Everything here describes a made-up clinic: the organization, sites and staff are invented,
and patients are generated from these tables with a seeded Faker. Diagnosis codes are real
ICD-10-CM codes with their official descriptions, so exports and claims look like real ones.
"""

from dataclasses import dataclass

from openiop.accounts.enums import Role
from openiop.care.models import DischargeReason
from openiop.programs.models import ProgramKind

ORGANIZATION = {
    "name": "Riverbend Behavioral Health",
    "phone": "(609) 555-0100",
    "npi": "1234567893",  # passes the NPI check digit; not a real provider
}
STATE = "NJ"
# Towns around the (invented) clinic, with a ZIP code each, for patients' addresses.
TOWNS = [
    ("Trenton", "08608"), ("Trenton", "08611"), ("Hamilton", "08610"), ("Hamilton", "08619"),
    ("Ewing", "08618"), ("Lawrenceville", "08648"), ("Princeton", "08540"),
    ("Bordentown", "08505"), ("Burlington", "08016"), ("Robbinsville", "08691"),
    ("Pennington", "08534"), ("Hopewell", "08525"), ("Yardville", "08620"),
    ("Willingboro", "08046"), ("Mount Holly", "08060"), ("East Windsor", "08520"),
]

SITES = {
    "main": {
        "name": "Riverbend Main Street",
        "address": "214 Main Street, Suite 300",
        "city": "Trenton",
        "postal_code": "08608",
        "phone": "(609) 555-0110",
    },
    "eastside": {
        "name": "Riverbend Eastside",
        "address": "88 Harbor Road",
        "city": "Hamilton",
        "postal_code": "08610",
        "phone": "(609) 555-0120",
    },
}

# (site key, room name, capacity). Group rooms fit an IOP group of 8-12 plus facilitators.
ROOMS = [
    ("main", "Group Room A", 12),
    ("main", "Group Room B", 10),
    ("main", "Group Room C", 14),
    ("main", "Family Room", 8),
    ("main", "Office 1", 2),
    ("main", "Office 2", 2),
    ("main", "Office 3", 2),
    ("eastside", "Group Room 1", 12),
    ("eastside", "Group Room 2", 8),
    ("eastside", "Office 101", 2),
    ("eastside", "Office 102", 2),
    ("eastside", "Telehealth Room", 1),
]


@dataclass(frozen=True)
class ProgramSpec:
    key: str
    site: str
    name: str
    code: str
    kind: str
    is_part2: bool
    track: str
    min_weekly_hours: int
    max_weekly_hours: int
    min_age: int
    max_age: int | None
    # Ages of the patients generated for it (within min_age..max_age).
    patient_ages: tuple[int, int]
    # Group hours a week the track runs (planned hours add individual sessions, within the band).
    track_hours: int = 9
    # Free times a person needs for the track, as the screening records them (day 0 = Monday).
    availability: tuple[tuple[int, str, str], ...] = ()


PROGRAMS = [
    ProgramSpec(
        key="sud", site="main", name="Adult Substance Use IOP (Evening)", code="sud-evening",
        kind=ProgramKind.SUBSTANCE_USE, is_part2=True,
        track="Evening: Mon/Tue/Thu 18:00-21:00", min_weekly_hours=9, max_weekly_hours=12,
        min_age=18, max_age=None, patient_ages=(20, 66), track_hours=9,
        availability=((0, "17:30", "21:30"), (1, "17:30", "21:30"), (3, "17:30", "21:30")),
    ),
    ProgramSpec(
        key="mh", site="eastside", name="Adult Mental Health IOP (Morning)", code="mh-morning",
        kind=ProgramKind.MENTAL_HEALTH, is_part2=False,
        track="Morning: Mon-Fri 09:00-12:00", min_weekly_hours=9, max_weekly_hours=15,
        min_age=18, max_age=None, patient_ages=(19, 72), track_hours=15,
        availability=tuple((day, "08:30", "12:30") for day in range(5)),
    ),
    ProgramSpec(
        key="cod", site="eastside", name="Co-occurring Disorders IOP (Afternoon)", code="cod-afternoon",
        kind=ProgramKind.CO_OCCURRING, is_part2=True,
        track="Afternoon: Mon/Wed/Fri 13:00-16:00", min_weekly_hours=9, max_weekly_hours=12,
        min_age=18, max_age=None, patient_ages=(21, 60), track_hours=9,
        availability=((0, "12:30", "16:30"), (2, "12:30", "16:30"), (4, "12:30", "16:30")),
    ),
    ProgramSpec(
        key="adolescent", site="main", name="Adolescent IOP (After School)",
        code="adolescent-afterschool", kind=ProgramKind.ADOLESCENT, is_part2=False,
        track="After school: Mon/Wed/Thu 15:30-18:30", min_weekly_hours=6, max_weekly_hours=19,
        min_age=13, max_age=17, patient_ages=(13, 17), track_hours=9,
        availability=((0, "15:00", "19:00"), (2, "15:00", "19:00"), (3, "15:00", "19:00")),
    ),
]


@dataclass(frozen=True)
class StaffSpec:
    username: str
    role: str
    first_name: str
    last_name: str
    credentials: str
    programs: tuple[str, ...]
    sees: str
    # Care teams this person joins in the generated data: ("primary", program keys) etc.
    primary_for: tuple[str, ...] = ()
    prescriber_for: tuple[str, ...] = ()


# Every demo login. The names are invented; the usernames are what the demo prints.
STAFF = [
    StaffSpec(
        "director", Role.DIRECTOR, "Renata", "Okafor", "PsyD", (),
        "every patient of the organization: census, charts with clinical content, privacy reviews",
    ),
    StaffSpec(
        "therapist", Role.CLINICIAN, "Marcus", "Bell", "LCADC", ("sud",),
        "the adult substance-use program (42 CFR Part 2) and their own caseload",
        primary_for=("sud",),
    ),
    StaffSpec(
        "mhtherapist", Role.CLINICIAN, "Priya", "Natarajan", "LCSW", ("mh",),
        "the adult mental-health program only, not the Part 2 substance-use programs",
        primary_for=("mh",),
    ),
    StaffSpec(
        "prescriber", Role.PRESCRIBER, "Elena", "Vasquez", "PMHNP-BC", ("sud", "mh", "cod"),
        "every adult program, for medication management",
        prescriber_for=("sud", "mh", "cod"),
    ),
    StaffSpec(
        "intake", Role.INTAKE, "Daniel", "Kim", "", (),
        "every patient's demographics, contact details and insurance; no clinical content",
    ),
    StaffSpec(
        "frontdesk", Role.FRONT_DESK, "Tasha", "Greene", "", (),
        "every patient's demographics, contact details and insurance; no clinical content",
    ),
    StaffSpec(
        "billing", Role.BILLING, "Howard", "Liu", "CPC", (),
        "every patient's demographics and insurance; no clinical content",
    ),
    StaffSpec(
        "privacy", Role.PRIVACY, "Grace", "Adeyemi", "CHPC", (),
        "emergency-access reviews and each patient's access report (no charts)",
    ),
    StaffSpec(
        "admin", Role.ADMIN, "Sam", "Novak", "", (),
        "the Django admin (/admin/) for users, sites, programs and rooms (no charts)",
    ),
    StaffSpec(
        "counselor", Role.CLINICIAN, "Rosa", "Delgado", "CADC", ("sud",),
        "the adult substance-use program (a second counselor's caseload)",
        primary_for=("sud",),
    ),
    StaffSpec(
        "codtherapist", Role.CLINICIAN, "Jamal", "Whitaker", "LPC, LCADC", ("cod",),
        "the co-occurring program (42 CFR Part 2)",
        primary_for=("cod",),
    ),
    StaffSpec(
        "teentherapist", Role.CLINICIAN, "Hannah", "Brooks", "LMFT", ("adolescent",),
        "the adolescent program",
        primary_for=("adolescent",),
    ),
    StaffSpec(
        "psychiatrist", Role.PRESCRIBER, "Arjun", "Mehta", "MD", ("adolescent", "mh"),
        "the adolescent and adult mental-health programs (child and adolescent psychiatry)",
        prescriber_for=("adolescent",),
    ),
    StaffSpec(
        "nurse", Role.PRESCRIBER, "Colleen", "Brennan", "RN", ("sud", "cod"),
        "the substance-use and co-occurring programs (nursing)",
    ),
]

# Portal logins (their names come from the generated patient and family member).
PATIENT_LOGIN_SEES = "their own record in the portal (a patient of the substance-use program)"
FAMILY_LOGIN_SEES = "the patient who consented to share with them (the `patient` login)"

# Credentials for clinicians `openiop seed` adds to staff a larger clinic.
SEED_CLINICIAN_CREDENTIALS = ["LCSW", "LPC", "LCADC", "LMFT", "CADC", "LSW", "LAC", "PsyD"]

# --- diagnoses ------------------------------------------------------------------------------
# (ICD-10-CM code, official description).
SUBSTANCE_USE_DIAGNOSES = [
    ("F10.20", "Alcohol dependence, uncomplicated"),
    ("F10.20", "Alcohol dependence, uncomplicated"),
    ("F10.21", "Alcohol dependence, in remission"),
    ("F11.20", "Opioid dependence, uncomplicated"),
    ("F11.20", "Opioid dependence, uncomplicated"),
    ("F11.21", "Opioid dependence, in remission"),
    ("F12.20", "Cannabis dependence, uncomplicated"),
    ("F13.20", "Sedative, hypnotic or anxiolytic dependence, uncomplicated"),
    ("F14.20", "Cocaine dependence, uncomplicated"),
    ("F15.20", "Other stimulant dependence, uncomplicated"),
]
MENTAL_HEALTH_DIAGNOSES = [
    ("F32.1", "Major depressive disorder, single episode, moderate"),
    ("F32.2", "Major depressive disorder, single episode, severe without psychotic features"),
    ("F33.1", "Major depressive disorder, recurrent, moderate"),
    ("F33.2", "Major depressive disorder, recurrent severe without psychotic features"),
    ("F41.1", "Generalized anxiety disorder"),
    ("F41.0", "Panic disorder [episodic paroxysmal anxiety]"),
    ("F43.10", "Post-traumatic stress disorder, unspecified"),
    ("F43.12", "Post-traumatic stress disorder, chronic"),
    ("F31.81", "Bipolar II disorder"),
    ("F60.3", "Borderline personality disorder"),
    ("F42.2", "Mixed obsessional thoughts and acts"),
]
# Conditions that often come along with the primary one.
SECONDARY_DIAGNOSES = [
    ("F17.210", "Nicotine dependence, cigarettes, uncomplicated"),
    ("F41.1", "Generalized anxiety disorder"),
    ("F43.10", "Post-traumatic stress disorder, unspecified"),
    ("F51.01", "Primary insomnia"),
    ("F40.10", "Social phobia, unspecified"),
    ("F34.1", "Dysthymic disorder"),
]
ADOLESCENT_DIAGNOSES = [
    ("F32.1", "Major depressive disorder, single episode, moderate"),
    ("F33.1", "Major depressive disorder, recurrent, moderate"),
    ("F41.1", "Generalized anxiety disorder"),
    ("F43.23", "Adjustment disorder with mixed anxiety and depressed mood"),
    ("F90.0", "Attention-deficit hyperactivity disorder, predominantly inattentive type"),
    ("F90.2", "Attention-deficit hyperactivity disorder, combined type"),
    ("F91.3", "Oppositional defiant disorder"),
    ("F40.10", "Social phobia, unspecified"),
    ("F12.10", "Cannabis abuse, uncomplicated"),
]

# (primary pool, secondary pool, chance of a secondary diagnosis) per program kind.
# Co-occurring patients always carry both a substance-use and a mental-health diagnosis.
DIAGNOSIS_POOLS = {
    ProgramKind.SUBSTANCE_USE: (SUBSTANCE_USE_DIAGNOSES, SECONDARY_DIAGNOSES, 0.45),
    ProgramKind.MENTAL_HEALTH: (MENTAL_HEALTH_DIAGNOSES, SECONDARY_DIAGNOSES, 0.35),
    ProgramKind.CO_OCCURRING: (SUBSTANCE_USE_DIAGNOSES, MENTAL_HEALTH_DIAGNOSES, 1.0),
    ProgramKind.ADOLESCENT: (ADOLESCENT_DIAGNOSES, ADOLESCENT_DIAGNOSES, 0.3),
}

# --- insurance ------------------------------------------------------------------------------
MEDICAID_PAYER = "NJ FamilyCare (Medicaid)"
MEDICARE_PAYER = "Medicare Part B"
SELF_PAY_PAYER = "Self-pay"
# (payer name, member id prefix)
COMMERCIAL_PAYERS = [
    ("Horizon Blue Cross Blue Shield", "HZN"),
    ("Aetna", "W"),
    ("UnitedHealthcare", "UHC"),
    ("Cigna", "U"),
    ("AmeriHealth", "AMH"),
    ("Oscar Health", "OSC"),
]

# --- people ---------------------------------------------------------------------------------
# (language, weight, chance an interpreter is needed, Faker locale for names).
# Most patients speak English; Spanish is the next most common language in the region.
LANGUAGES = [
    ("English", 86, 0.0, "en_US"),
    ("Spanish", 10, 0.6, "es_MX"),
    ("Portuguese", 1, 0.7, "pt_BR"),
    ("Haitian Creole", 1, 0.7, "fr_FR"),
    ("Polish", 1, 0.5, "pl_PL"),
    ("Gujarati", 1, 0.6, "en_IN"),
]

# (sex assigned at birth, gender identity, pronouns, weight)
GENDERS = [
    ("Female", "Woman", "she/her", 48),
    ("Male", "Man", "he/him", 46),
    ("Female", "Non-binary", "they/them", 2),
    ("Male", "Non-binary", "they/them", 1),
    ("Male", "Transgender woman", "she/her", 1.5),
    ("Female", "Transgender man", "he/him", 1.5),
]

NICKNAMES = {
    "Alexander": "Alex", "Andrew": "Drew", "Anthony": "Tony", "Benjamin": "Ben",
    "Christopher": "Chris", "Daniel": "Dan", "Elizabeth": "Liz", "Jennifer": "Jen",
    "Jessica": "Jess", "Jonathan": "Jon", "Joseph": "Joe", "Katherine": "Kate",
    "Kimberly": "Kim", "Matthew": "Matt", "Michael": "Mike", "Nicholas": "Nick",
    "Patricia": "Trish", "Rebecca": "Becca", "Richard": "Rick", "Robert": "Rob",
    "Samantha": "Sam", "Stephanie": "Steph", "Thomas": "Tom", "Victoria": "Tori",
    "William": "Will", "Zachary": "Zach", "Timothy": "Tim", "Margaret": "Maggie",
    "Gabriel": "Gabe", "Jacqueline": "Jackie", "Alejandro": "Alex", "Guadalupe": "Lupe",
    "Francisco": "Paco", "José": "Pepe",
}

# (discharge reason, weight): most IOP episodes end with completion or a step down.
DISCHARGE_REASONS = [
    (DischargeReason.COMPLETED, 40),
    (DischargeReason.STEP_DOWN, 25),
    (DischargeReason.AMA, 15),
    (DischargeReason.STEP_UP, 10),
    (DischargeReason.ADMINISTRATIVE, 6),
    (DischargeReason.OTHER, 4),
]


# --- referrals ------------------------------------------------------------------------------
# The intake pipeline of the demo clinic: people at every stage, from a web request this
# morning to admissions weeks ago, and closed referrals with each reason. Names, birth dates
# and phone numbers are drawn by the loader (seeded Faker); everything here is invented.


@dataclass(frozen=True)
class ReferralSpec:
    # How far the referral has come: a Stage value (inquiry ... admitted, closed).
    stage: str
    # Program key, or None when the person did not say (a web request) or it is not known yet.
    program: str | None
    source: str
    # When the first request came in, in days before today (fractions are hours).
    days_ago: float
    reason: str
    # (name, organization, phone) of a referring professional, for referrals that have one.
    referrer: tuple[str, str, str] | None = None
    from_public_request: bool = False
    # Relationship of the person asking on someone else's behalf ("" when they ask for themself).
    requester: str = ""
    ages: tuple[int, int] = (22, 55)
    # Gender identity when the reason speaks of the person as he or she ("" draws one).
    gender: str = ""
    # Insurance as reported: a CoverageKind value, or "" when not yet known.
    insurance: str = "commercial"
    work_school_hours: str = ""
    # Contact: a follow-up this many days from today (negative: overdue).
    follow_up_in_days: int | None = None
    # Screening: substances (name, route, frequency), withdrawal risk, a positive safety answer.
    substances: tuple[tuple[str, str, str], ...] = ()
    withdrawal_risk: str = "none"
    safety_positive: bool = False
    # Assessment: framework, ratings d1..d6 (None for an unrated dimension), LOCUS composite,
    # recommended and decided level, reason for a difference.
    framework: str = ""
    ratings: tuple[int | None, ...] = ()
    locus_composite: int | None = None
    recommended_level: str = ""
    actual_level: str = ""
    variance_reason: str = ""
    # Assessed: waitlisted with a start this many days from today.
    waitlist_start_in_days: int | None = None
    # Admitted: this many days ago; a later step to another level (level, days ago, reason).
    admitted_days_ago: int | None = None
    level_change: tuple[str, int, str] | None = None
    # Closed: reason, note, and the stage it was closed from.
    close_reason: str = ""
    close_note: str = ""
    closed_from: str = ""


ED_REFERRER = ("Dr. Samuel Whitfield", "Capital Regional Medical Center, Emergency Department", "(609) 555-0161")
DRUG_COURT = ("Officer Rhonda Daniels", "Mercer County Recovery Court", "(609) 555-0162")

REFERRALS = [
    # Inquiries: two web requests this week, a physician's call, an EAP referral.
    ReferralSpec(
        "inquiry", None, "self", 0.2, from_public_request=True, insurance="",
        reason="I've been drinking a lot more since my divorce and I can't cut back on my own. "
               "I need something that fits around my job.",
        work_school_hours="Mon-Fri 8:30-17:00, office job",
    ),
    ReferralSpec(
        "inquiry", None, "family", 1.3, from_public_request=True, requester="Mother",
        insurance="medicaid", ages=(20, 26), gender="Man",
        reason="My son finished a 28-day program in August and is using pills again. He says he "
               "will go to an evening program.",
        work_school_hours="Works at a warehouse, day shift",
    ),
    ReferralSpec(
        "inquiry", "mh", "primary_care", 1.8,
        referrer=("Dr. Alan Cho", "Hamilton Family Medicine", "(609) 555-0163"),
        reason="Worsening depression for 3 months despite sertraline; missing work. Weekly therapy "
               "has not been enough.",
        work_school_hours="Teacher, 7:30-15:00",
    ),
    ReferralSpec(
        "inquiry", "sud", "eap", 2.4,
        referrer=("Karen Liu, LPC", "Mercer Employee Assistance Program", "(609) 555-0164"),
        reason="Employee referred after a positive workplace test for cocaine; wants help keeping "
               "the job.",
        work_school_hours="Shift work, days this month",
    ),
    # Contacted: called back, waiting on the person; two follow-ups are overdue.
    ReferralSpec(
        "contacted", "sud", "family", 6.2, requester="Wife", insurance="commercial", gender="Man",
        follow_up_in_days=-2,
        reason="Husband drinks every night and hid bottles; agreed to call after a family talk.",
        work_school_hours="Construction, 6:00-14:30",
    ),
    ReferralSpec(
        "contacted", "mh", "therapist", 8.6,
        referrer=("Jenna Morales, LCSW", "Private practice, Princeton", "(609) 555-0165"),
        follow_up_in_days=2,
        reason="Panic attacks several times a week and not leaving the house; outpatient therapy "
               "for 6 months without improvement.",
    ),
    ReferralSpec(
        "contacted", "sud", "court", 12.1, referrer=DRUG_COURT, insurance="medicaid",
        follow_up_in_days=-4,
        reason="Court-ordered treatment after a second possession charge (opioids); needs proof "
               "of enrolment within 30 days.",
        work_school_hours="Unemployed, looking for work",
    ),
    ReferralSpec(
        "contacted", "adolescent", "other", 4.9, requester="Father", ages=(14, 16),
        referrer=("Ms. Anita Patel", "Hamilton High School counseling office", "(609) 555-0166"),
        follow_up_in_days=1,
        reason="School counselor: self-isolating, grades falling, cutting reported by a friend.",
        work_school_hours="School 7:45-14:30",
    ),
    # Screening: a safety alert today from an ED referral, two others screened.
    ReferralSpec(
        "screening", "mh", "ed", 2.9, referrer=ED_REFERRER, safety_positive=True, gender="Woman",
        reason="Seen in the ED after telling a coworker she did not want to live; not admitted, "
               "needs more than weekly therapy.",
        work_school_hours="Nurse's aide, nights",
    ),
    ReferralSpec(
        "screening", "cod", "primary_care", 9.8, insurance="medicaid",
        referrer=("Dr. Maya Brooks", "Ewing Community Health Center", "(609) 555-0167"),
        substances=(("alcohol", "oral", "daily"), ("cannabis", "smoked", "weekly")),
        withdrawal_risk="moderate",
        reason="Bipolar II with daily drinking; two missed psychiatry appointments.",
    ),
    ReferralSpec(
        "screening", "sud", "self", 7.7, substances=(("opioids (fentanyl)", "intranasal", "daily"),),
        withdrawal_risk="high", insurance="medicaid",
        reason="Wants to stop using fentanyl; started buprenorphine at a bridge clinic last week.",
        work_school_hours="Part-time at a restaurant, evenings Fri-Sun",
    ),
    # Assessment scheduled.
    ReferralSpec(
        "assessment_scheduled", "sud", "step_down", 10.7,
        referrer=("Tom Hale, discharge planner", "Hopewell Recovery Residential", "(609) 555-0168"),
        substances=(("alcohol", "oral", "daily"),), withdrawal_risk="low",
        follow_up_in_days=2,
        reason="Completing 21 days of residential treatment; needs IOP to step down to.",
    ),
    ReferralSpec(
        "assessment_scheduled", "adolescent", "therapist", 13.6, requester="Mother",
        ages=(15, 17), referrer=("Dr. Lisa Grant, PsyD", "Grant Child & Family Therapy", "(609) 555-0169"),
        follow_up_in_days=3,
        reason="Depression and school refusal for two months; weekly therapy not enough.",
        work_school_hours="School 7:45-14:30",
    ),
    # Assessed: ASAM 3rd edition, ASAM 4th edition (waitlisted), LOCUS.
    ReferralSpec(
        "assessed", "sud", "ed", 17.5, referrer=ED_REFERRER,
        substances=(("alcohol", "oral", "daily"),), withdrawal_risk="low",
        framework="asam3", ratings=(1, 1, 2, 2, 3, 2), recommended_level="2.1", actual_level="2.1",
        reason="Third ED visit this year for intoxication; medically cleared, wants help.",
    ),
    ReferralSpec(
        "assessed", "cod", "step_down", 19.6,
        referrer=("Lena Ortiz, RN", "Princeton House Partial Hospital Program", "(609) 555-0170"),
        substances=(("methamphetamine", "smoked", "several times a week"),),
        framework="asam4", ratings=(1, 0, 2, 3, 2, None), recommended_level="2.1",
        actual_level="2.1", waitlist_start_in_days=8,
        reason="Stepping down from two weeks of partial hospitalization; PTSD and stimulant use.",
    ),
    ReferralSpec(
        "assessed", "mh", "self", 15.7, framework="locus", locus_composite=20,
        recommended_level="L4", actual_level="L4",
        reason="Grief after a death in the family; not sleeping, missing work for three weeks.",
        work_school_hours="Accountant, flexible hours",
    ),
    # Admitted through the pipeline.
    ReferralSpec(
        "admitted", "sud", "family", 30.4, requester="Sister", insurance="medicaid", gender="Man",
        substances=(("opioids (heroin)", "intravenous", "daily"),), withdrawal_risk="high",
        framework="asam3", ratings=(2, 1, 2, 2, 3, 3), recommended_level="2.1",
        actual_level="2.1", admitted_days_ago=19,
        reason="Sister called: he is on methadone and wants more support; lives with her now.",
    ),
    ReferralSpec(
        "admitted", "mh", "primary_care", 57.5, insurance="medicare", ages=(66, 72),
        referrer=("Dr. Helen Park", "Lawrenceville Internal Medicine", "(609) 555-0171"),
        framework="locus", locus_composite=21, recommended_level="L4", actual_level="L4",
        admitted_days_ago=50,
        reason="Recurrent major depression since retiring; withdrawn, not eating well, lives "
               "alone.",
        work_school_hours="Retired",
    ),
    ReferralSpec(
        "admitted", "cod", "ed", 41.3, referrer=ED_REFERRER, insurance="commercial",
        substances=(("alcohol", "oral", "daily"), ("benzodiazepines", "oral", "most days")),
        withdrawal_risk="moderate",
        framework="asam4", ratings=(2, 1, 3, 2, 2, None), recommended_level="2.5",
        actual_level="2.1", admitted_days_ago=34,
        variance_reason="Prefers to keep working part time; IOP with twice-weekly individual "
                        "sessions and a step-up plan if symptoms worsen.",
        level_change=("op", 4, (
            "Stable mood and 4 weeks abstinent; stepping down to weekly outpatient therapy "
            "while finishing the program's relapse prevention group."
        )),
        reason="ED visit for a fall while intoxicated; anxiety and panic between drinks.",
    ),
    ReferralSpec(
        "admitted", "sud", "eap", 24.8, insurance="commercial",
        referrer=("Karen Liu, LPC", "Mercer Employee Assistance Program", "(609) 555-0164"),
        substances=(("alcohol", "oral", "daily"),),
        framework="asam3", ratings=(1, 0, 1, 2, 2, 1), recommended_level="2.1", actual_level="2.1",
        admitted_days_ago=15,
        reason="Missed work after weekend drinking; manager referred to EAP.",
        work_school_hours="Mon-Fri 9:00-17:00",
    ),
    # Closed, one for each reason (and a second decline).
    ReferralSpec(
        "closed", "mh", "therapist", 23.7, closed_from="assessed",
        referrer=("Jenna Morales, LCSW", "Private practice, Princeton", "(609) 555-0165"),
        framework="locus", locus_composite=18, recommended_level="L3", actual_level="L3",
        close_reason="declined", close_note="Chose to stay with weekly therapy for now; will call "
                                            "back if things get worse.",
        reason="Anxiety and low mood after a job loss.",
    ),
    ReferralSpec(
        "closed", "sud", "other", 21.2, closed_from="inquiry", insurance="",
        close_reason="no_contact", close_note="Three calls and a text over two weeks, no answer.",
        reason="Left a voicemail after seeing a flyer at the library; drinking and gambling.",
    ),
    ReferralSpec(
        "closed", "mh", "self", 14.9, closed_from="contacted",
        close_reason="not_eligible",
        close_note="Lives in Bucks County, PA, outside the service area; given the county crisis "
                   "line and two IOPs near home.",
        reason="Depression and panic; looking for an evening program.",
    ),
    ReferralSpec(
        "closed", "sud", "ed", 12.8, closed_from="assessed", referrer=ED_REFERRER,
        substances=(("alcohol", "oral", "daily"),), withdrawal_risk="high",
        framework="asam3", ratings=(4, 2, 2, 2, 3, 3), recommended_level="3.7", actual_level="3.7",
        close_reason="other_level",
        close_note="Referred to medically monitored inpatient withdrawal management at Hopewell "
                   "Recovery; IOP after discharge if appropriate.",
        reason="Shaking and sweating in the morning; drinks a fifth a day; a seizure last year "
               "when stopping.",
    ),
    ReferralSpec(
        "closed", "cod", "primary_care", 27.3, closed_from="contacted", insurance="self_pay",
        referrer=("Dr. Maya Brooks", "Ewing Community Health Center", "(609) 555-0167"),
        close_reason="declined", close_note="Cannot take time off work now; given the program's "
                                            "number to call when ready.",
        reason="Depression and daily cannabis use; not sleeping.",
    ),
]

# Clinician notes behind a rating, by topic and by low (0-1), moderate (2) or high (3-4) risk.
# Our own plain words: no ASAM criteria text or anchors.
RATIONALES = {
    "withdrawal": (
        "No withdrawal signs today; last use several days ago.",
        "Mild tremor in the mornings; withdrawal managed with outpatient monitoring.",
        "Withdrawal with a history of seizures; needs medical monitoring.",
    ),
    "biomedical": (
        "No active medical problems reported.",
        "Hypertension and liver enzymes up; primary care following.",
        "Unstable medical condition that needs daily medical care.",
    ),
    "psychiatric": (
        "Mood and anxiety symptoms stable; no safety concerns today.",
        "Depressed mood and anxiety interfering with work; no current plan or intent.",
        "Severe symptoms and recent self-harm; needs daily structure and monitoring.",
    ),
    "readiness": (
        "Asking for help and ready to take part.",
        "Ambivalent; came at family's urging but agrees to attend.",
        "Does not see a problem; attending only because required.",
    ),
    "relapse": (
        "Several months of stability with good coping skills.",
        "Relapsed after the last treatment; some coping skills.",
        "Continued daily use despite consequences; few coping skills so far.",
    ),
    "environment": (
        "Stable housing and supportive family.",
        "Lives with people who use; some support from a sibling.",
        "No stable housing and no sober support.",
    ),
    "person": (
        "Prefers evening groups near home; transportation by bus.",
        "Prefers evening groups near home; transportation by bus.",
        "Prefers evening groups near home; transportation by bus.",
    ),
}
RATIONALE_TOPICS = {
    "asam3": ("withdrawal", "biomedical", "psychiatric", "readiness", "relapse", "environment"),
    "asam4": ("withdrawal", "biomedical", "psychiatric", "relapse", "environment", "person"),
}
# The physician who certifies Medicare patients' need for IOP (a demo staff member, an MD).
CERTIFYING_PHYSICIAN = "Arjun Mehta, MD"

# Screening answers the loader draws from (short, as an intake clinician would write them).
MEDICAL_HISTORIES = [
    "No chronic conditions.", "Hypertension, on lisinopril.", "Type 2 diabetes, on metformin.",
    "Asthma; uses an inhaler as needed.", "Hepatitis C, treated in 2022.", "Chronic back pain.",
]
PSYCHIATRIC_HISTORIES = [
    "No prior psychiatric treatment.", "Depression since their twenties; outpatient therapy.",
    "Generalized anxiety; saw a therapist in 2023.", "One inpatient stay in 2021 for depression.",
    "PTSD after a car accident; EMDR in the past.",
]
MEDICATIONS = [
    "None.", "Sertraline 100 mg daily.", "Bupropion XL 300 mg daily.",
    "Buprenorphine/naloxone 16/4 mg daily.", "Escitalopram 10 mg daily; trazodone at night.",
]
SOCIAL_SITUATIONS = [
    "Lives with partner and two children; works full time.", "Lives alone in an apartment.",
    "Lives with parents; between jobs.", "Shares a house with two roommates.",
    "Lives with spouse; recently retired.",
]
SUPPORTS = [
    "Partner is supportive and will attend family night.", "A sister checks in daily.",
    "Few supports nearby; attends a peer group now and then.", "Parents are involved and supportive.",
]
TRANSPORTATION = [
    "Drives.", "Takes the bus (route 606).", "Gets rides from family.",
    "Needs help with transportation: Medicaid ride service.",
]

# --- on call --------------------------------------------------------------------------------
# Who answers urgent alerts (e.g. a PHQ-9 item 9 answer) for each program, in weekly turns
# (openiop/demo/measures.py builds the rota over the demo's dates).
ON_CALL_ROTA = {
    "sud": ("counselor", "therapist"),
    "mh": ("mhtherapist",),
    "cod": ("codtherapist",),
    "adolescent": ("teentherapist",),
}

# --- group curriculum -----------------------------------------------------------------------
# The organization's curriculum modules (topic area, titles). Relapse-prevention plan items link
# to them (openiop/demo/plans.py), e.g. the trigger "Payday weekends" to Money management.
CURRICULUM_MODULES = [
    ("Life skills", ("Money management", "Budgeting and payday planning", "Job search", "Sleep hygiene")),
    ("Relapse prevention", ("Identifying triggers", "Coping with cravings", "High-risk situations")),
    ("Family education", ("Communication", "Boundaries")),
    ("DBT skills", ("Distress tolerance", "Emotion regulation")),
]
