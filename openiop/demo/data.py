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


PROGRAMS = [
    ProgramSpec(
        key="sud", site="main", name="Adult Substance Use IOP (Evening)", code="sud-evening",
        kind=ProgramKind.SUBSTANCE_USE, is_part2=True,
        track="Evening: Mon/Tue/Thu 18:00-21:00", min_weekly_hours=9, max_weekly_hours=12,
        min_age=18, max_age=None, patient_ages=(20, 66),
    ),
    ProgramSpec(
        key="mh", site="eastside", name="Adult Mental Health IOP (Morning)", code="mh-morning",
        kind=ProgramKind.MENTAL_HEALTH, is_part2=False,
        track="Morning: Mon-Fri 09:00-12:00", min_weekly_hours=9, max_weekly_hours=15,
        min_age=18, max_age=None, patient_ages=(19, 72),
    ),
    ProgramSpec(
        key="cod", site="eastside", name="Co-occurring Disorders IOP (Afternoon)", code="cod-afternoon",
        kind=ProgramKind.CO_OCCURRING, is_part2=True,
        track="Afternoon: Mon/Wed/Fri 13:00-16:00", min_weekly_hours=9, max_weekly_hours=12,
        min_age=18, max_age=None, patient_ages=(21, 60),
    ),
    ProgramSpec(
        key="adolescent", site="main", name="Adolescent IOP (After School)",
        code="adolescent-afterschool", kind=ProgramKind.ADOLESCENT, is_part2=False,
        track="After school: Mon/Wed/Thu 15:30-18:30", min_weekly_hours=6, max_weekly_hours=19,
        min_age=13, max_age=17, patient_ages=(13, 17),
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
