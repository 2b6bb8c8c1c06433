"""Build the demo clinic, and the synthetic patients `openiop seed` adds at scale.

The demo clinic is built by the ordered `STEPS`; each step is a function taking the shared
`ClinicContext`, so a later feature (groups, notes, measures, claims...) adds its data by
appending its own step. Organization, sites, programs, rooms and staff are plain ORM rows;
everything about a patient is written through the domain services, inside
`command_context(...)`, so labels and audit events are exactly what production would make.

Every person is synthetic: Faker and `random.Random` are seeded with fixed seeds, so two builds
of the demo are the same clinic (MRNs aside, which follow database ids).
"""

import datetime as dt
import multiprocessing
import time
import unicodedata
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from random import Random
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connections, transaction
from django.utils import timezone

from openiop.accounts.enums import Role
from openiop.accounts.models import User
from openiop.audit.context import command_context
from openiop.care import services as care
from openiop.care.models import CareTeamRole, DischargeReason, EpisodeStatus
from openiop.demo import data
from openiop.demo.workers import set_up_worker
from openiop.patients import services as patients
from openiop.patients.enums import ContactMethod, CoverageKind, Relationship
from openiop.patients.models import Patient
from openiop.programs.models import Organization, Program, Room, Site

DEMO_PASSWORD = "openiop-demo"  # noqa: S105 - printed on screen; demo mode only
DEMO_SEED = 4242
SPECS_BY_KEY = {spec.key: spec for spec in data.PROGRAMS}
STAFF_BY_USERNAME = {spec.username: spec for spec in data.STAFF}
PATIENT_USERNAME = "patient"
FAMILY_USERNAME = "family"
LOCALE_BY_LANGUAGE = {language: locale for language, _, _, locale in data.LANGUAGES}
INTERPRETER_CHANCE_BY_LANGUAGE = {language: chance for language, _, chance, _ in data.LANGUAGES}

# The demo's census: current patients per program, and patients discharged earlier.
DEMO_CURRENT_PATIENTS = {"sud": 20, "mh": 18, "cod": 12, "adolescent": 10}
DEMO_DISCHARGED_PATIENTS = {"sud": 7, "mh": 6, "cod": 4, "adolescent": 3}
# Current admissions fall within this many days before today (an IOP stay is 6-12 weeks).
DEMO_ADMISSION_WINDOW_DAYS = 70
# Share of current patients who were in the program before (readmissions are common in SUD care).
READMISSION_SHARE = 0.08
# `openiop seed`: how programs share the admissions, and one extra clinician per this many
# patients so caseloads stay plausible at scale.
SEED_PROGRAM_WEIGHTS = {"sud": 35, "mh": 30, "cod": 20, "adolescent": 15}
SEED_PATIENTS_PER_EXTRA_CLINICIAN = 500
SEED_HISTORY_DAYS = 365
# Expected lengths of stay set at admission, in days (6 to 12 weeks).
EXPECTED_STAYS_DAYS = (42, 56, 56, 70, 84)

Report = Callable[[str], None]


def _ignore(message: str) -> None:
    pass


@dataclass
class ClinicContext:
    """What the steps share: the random sources, the clinic built so far, and a reporter."""

    rng: Random
    seed: int | str
    fake: Any  # Faker("en_US"), seeded
    today: dt.date
    # One argon2 hash of the demo password for every demo login, or None for unusable
    # passwords (outside demo mode nobody may sign in with a published password).
    password_hash: str | None
    report: Report = _ignore
    organization: Organization | None = None
    sites: dict[str, Site] = field(default_factory=dict)
    programs: dict[str, Program] = field(default_factory=dict)
    staff: dict[str, User] = field(default_factory=dict)
    # Program key -> staff who take patients as primary clinician / prescriber there.
    primary_clinicians: dict[str, list[User]] = field(default_factory=dict)
    prescribers: dict[str, list[User]] = field(default_factory=dict)
    portal_patient: Patient | None = None
    patients_written: int = 0
    fakers_by_locale: dict[str, Any] = field(default_factory=dict)

    def fake_for(self, locale: str):
        """Return a seeded Faker for `locale` (names that fit the patient's language)."""
        if locale == "en_US":
            return self.fake
        if locale not in self.fakers_by_locale:
            from faker import Faker

            fake = Faker(locale)
            fake.seed_instance(f"{self.seed}-{locale}")
            self.fakers_by_locale[locale] = fake
        return self.fakers_by_locale[locale]


@dataclass(frozen=True)
class ClinicSummary:
    sites: int
    programs: int
    current_patients: int
    discharged_patients: int
    staff: int
    seconds: float
    already_built: bool = False

    def sentence(self, what: str = "Demo clinic ready") -> str:
        return (
            f"{what}: {self.sites} sites, {self.programs} programs, "
            f"{self.current_patients} current and {self.discharged_patients} discharged patients, "
            f"{self.staff} staff in {self.seconds:.1f} s"
        )


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    name: str
    sees: str


def new_context(*, seed: int | str, report: Report = _ignore, with_passwords: bool | None = None):
    """Return a context with seeded random sources; demo passwords only in demo mode."""
    from faker import Faker

    if with_passwords is None:
        with_passwords = settings.DEMO_MODE
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return ClinicContext(
        rng=Random(seed),
        seed=seed,
        fake=fake,
        today=timezone.localdate(),
        # Argon2 is slow on purpose: hash once, not once per login.
        password_hash=make_password(DEMO_PASSWORD) if with_passwords else None,
        report=report,
    )


# --- the demo clinic ------------------------------------------------------------------------


def demo_clinic_exists() -> bool:
    return Organization.objects.filter(name=data.ORGANIZATION["name"]).exists()


def demo_logins_exist() -> bool:
    """Return whether the demo's last step ran (`openiop seed` alone builds no portal logins)."""
    return User.objects.filter(
        username=PATIENT_USERNAME, organization__name=data.ORGANIZATION["name"]
    ).exists()


def build_demo_clinic(*, report: Report = _ignore, with_passwords: bool | None = None):
    """Build the demo clinic unless it exists; return what is there and how long it took."""
    started = time.monotonic()
    if demo_clinic_exists():
        return summarize_clinic(started=started, already_built=True)
    ctx = new_context(seed=DEMO_SEED, report=report, with_passwords=with_passwords)
    with command_context("demo"), transaction.atomic():
        for step in STEPS:
            step(ctx)
    return summarize_clinic(started=started)


def build_organization(ctx: ClinicContext) -> None:
    ctx.organization = Organization.objects.create(**data.ORGANIZATION)
    for key, fields in data.SITES.items():
        ctx.sites[key] = Site.objects.create(
            organization=ctx.organization, state=data.STATE, **fields
        )
    for spec in data.PROGRAMS:
        ctx.programs[spec.key] = Program.objects.create(
            organization=ctx.organization, site=ctx.sites[spec.site], name=spec.name,
            code=spec.code, kind=spec.kind, is_part2=spec.is_part2, track=spec.track,
            min_weekly_hours=spec.min_weekly_hours, max_weekly_hours=spec.max_weekly_hours,
            min_age=spec.min_age, max_age=spec.max_age,
        )


def build_rooms(ctx: ClinicContext) -> None:
    Room.objects.bulk_create(
        Room(site=ctx.sites[site], name=name, capacity=capacity)
        for site, name, capacity in data.ROOMS
    )


def build_staff(ctx: ClinicContext) -> None:
    for spec in data.STAFF:
        user = _create_user(
            ctx, username=spec.username, role=spec.role, first_name=spec.first_name,
            last_name=spec.last_name, credentials=spec.credentials,
            # The administrator uses the Django admin, which needs both flags.
            is_staff=spec.role == Role.ADMIN, is_superuser=spec.role == Role.ADMIN,
        )
        if spec.programs:
            user.programs.set([ctx.programs[key] for key in spec.programs])
        ctx.staff[user.username] = user
    assign_caseload_pools(ctx)


def build_current_patients(ctx: ClinicContext) -> None:
    total = sum(DEMO_CURRENT_PATIENTS.values())
    done = 0
    for key, count in DEMO_CURRENT_PATIENTS.items():
        spec = SPECS_BY_KEY[key]
        for index in range(count):
            admitted_on = weekday_on_or_before(
                ctx.today - dt.timedelta(days=ctx.rng.randint(1, DEMO_ADMISSION_WINDOW_DAYS))
            )
            if key == "sud" and index == 0:
                # The `patient` login: an English-speaking adult with `therapist` as clinician.
                ctx.portal_patient = enroll_synthetic_patient(
                    ctx, spec, admitted_on=admitted_on, primary=ctx.staff["therapist"],
                    ages=(28, 45), language=("English", False),
                )
            else:
                # Readmit adults only: an adolescent readmitted now might have turned 18.
                if spec.max_age is None and ctx.rng.random() < READMISSION_SHARE:
                    patient = enroll_synthetic_patient(
                        ctx, spec, admitted_on=admitted_on - dt.timedelta(days=ctx.rng.randint(150, 300)),
                        discharge=(None, ctx.rng.choice([DischargeReason.AMA, DischargeReason.STEP_UP])),
                    )
                    readmit(ctx, patient, spec, admitted_on=admitted_on)
                else:
                    enroll_synthetic_patient(ctx, spec, admitted_on=admitted_on)
            done += 1
            if done % 20 == 0 or done == total:
                ctx.report(f"Building demo clinic: current patients {done}/{total}")


def build_discharged_patients(ctx: ClinicContext) -> None:
    total = sum(DEMO_DISCHARGED_PATIENTS.values())
    done = 0
    for key, count in DEMO_DISCHARGED_PATIENTS.items():
        spec = SPECS_BY_KEY[key]
        for _ in range(count):
            admitted_on = weekday_on_or_before(
                ctx.today - dt.timedelta(days=ctx.rng.randint(100, 320))
            )
            enroll_synthetic_patient(
                ctx, spec, admitted_on=admitted_on, discharge=(None, pick_discharge_reason(ctx))
            )
            done += 1
    ctx.report(f"Building demo clinic: discharged patients {done}/{total}")


def build_portal_logins(ctx: ClinicContext) -> None:
    """Give the portal patient a login, and a spouse who may see them with their consent."""
    patient = ctx.portal_patient
    patient_user = _create_user(
        ctx, username=PATIENT_USERNAME, role=Role.PATIENT, first_name=patient.preferred_name
        or patient.legal_first_name, last_name=patient.legal_last_name, patient=patient,
    )
    ctx.staff[patient_user.username] = patient_user
    spouse_first = ctx.fake.first_name()
    family_user = _create_user(
        ctx, username=FAMILY_USERNAME, role=Role.FAMILY, first_name=spouse_first,
        last_name=patient.legal_last_name,
    )
    episode = patient.episodes.get(status=EpisodeStatus.ACTIVE)
    spouse_name = f"{spouse_first} {patient.legal_last_name}"
    spouse_phone = fictional_phone(ctx)
    patients.add_family_member(
        actor=None, patient=patient, user=family_user,
        name=spouse_name, relationship=Relationship.SPOUSE,
        phone=spouse_phone, portal_consent_on=episode.admitted_on + dt.timedelta(days=2),
    )
    # The spouse with the family login is also the emergency contact, as a reader would expect.
    patients.update_patient_details(
        actor=None, patient=patient, emergency_contact_name=spouse_name,
        emergency_contact_relationship=Relationship.SPOUSE, emergency_contact_phone=spouse_phone,
    )
    ctx.staff[family_user.username] = family_user


def build_referrals(ctx: ClinicContext) -> None:
    """The intake pipeline: referrals in every stage, admitted, waitlisted and closed ones
    (openiop/demo/referrals.py)."""
    from openiop.demo.referrals import build_referral_pipeline

    build_referral_pipeline(ctx)


def build_measures(ctx: ClinicContext) -> None:
    """The on-call rota, then weeks of PHQ-9, GAD-7, AUDIT-C and craving scores for every
    patient (openiop/demo/measures.py)."""
    from openiop.demo.measures import build_measure_history, build_on_call_rota

    build_on_call_rota(ctx)
    build_measure_history(ctx)


def build_plans(ctx: ClinicContext) -> None:
    """Treatment and relapse-prevention plans in every state: drafts, signed, awaiting the
    patient or a co-signature, reviewed and stepped down (openiop/demo/plans.py)."""
    from openiop.demo.plans import build_plans as build

    build(ctx)


def build_schedule(ctx: ClinicContext) -> None:
    """Group types and curricula, staff hours, each track's group series, patients' free times,
    and solved weeks (openiop/demo/scheduling.py)."""
    from openiop.demo.scheduling import build_schedule_resources, build_schedule_weeks

    build_schedule_resources(ctx)
    build_schedule_weeks(ctx)


def build_documentation(ctx: ClinicContext) -> None:
    """Eight weeks of attendance on the solved weeks' rosters, then the notes of the sessions
    attended (most signed, a few not, some waiting for a co-signature), then medications,
    reconciliations and drug screens (openiop/demo/attendance.py, notes.py, medical.py)."""
    from openiop.demo.attendance import build_attendance
    from openiop.demo.medical import build_medical
    from openiop.demo.notes import build_notes

    build_attendance(ctx)
    build_notes(ctx)
    build_medical(ctx)


STEPS: list[Callable[[ClinicContext], None]] = [
    build_organization,
    build_rooms,
    build_staff,
    build_current_patients,
    build_discharged_patients,
    build_portal_logins,
    build_referrals,
    build_measures,
    build_plans,
    build_schedule,
    build_documentation,
]
# What `openiop seed` needs before it can add patients to an empty database.
CLINIC_STEPS = [build_organization, build_rooms, build_staff]


# --- `openiop seed`: a year of history at scale ---------------------------------------------


def seed_clinic(
    *,
    patients: int,
    seed: int = DEMO_SEED + 1,
    chunk_size: int = 200,
    jobs: int = 1,
    report: Report = _ignore,
) -> ClinicSummary:
    """Add `patients` synthetic patients admitted over the past year to the demo organization.

    Builds the organization, programs and staff first when the database has none. Patients
    are written in transactions of `chunk_size`; each chunk draws from its own seed, so the
    same seed gives the same people whatever `jobs` is. With `jobs` > 1 chunks are written by
    that many worker processes (fresh interpreters reading the same environment).
    Side effects: the audit events of every service call, as `cli:<user>` on `openiop seed`.
    """
    started = time.monotonic()
    prepare_seed_clinic(seed=seed, patients=patients, report=report)
    chunks = [
        (seed, index, min(chunk_size, patients - first))
        for index, first in enumerate(range(0, patients, chunk_size))
    ]
    written = 0
    for count in _run_chunks(chunks, jobs=jobs):
        written += count
        report(f"Seeding: patients {written}/{patients} ({time.monotonic() - started:.0f} s)")
    return summarize_clinic(started=started)


def prepare_seed_clinic(*, seed: int, patients: int, report: Report = _ignore) -> None:
    """Make sure the organization exists, with a clinician per 500 patients to be added."""
    ctx = new_context(seed=seed, report=report)
    with command_context("seed"), transaction.atomic():
        if not load_existing_clinic(ctx):
            report("No clinic found: creating the organization, programs and staff")
            for step in CLINIC_STEPS:
                step(ctx)
        add_seed_clinicians(ctx, count=patients // SEED_PATIENTS_PER_EXTRA_CLINICIAN)


def seed_chunk(seed: int, index: int, size: int) -> int:
    """Write one chunk of `size` patients in one transaction; return how many were written."""
    ctx = new_context(seed=f"{seed}-{index}", with_passwords=False)
    load_existing_clinic(ctx)
    with command_context("seed"), transaction.atomic():
        for _ in range(size):
            add_patient_with_history(ctx)
    return size


def _run_chunks(chunks, *, jobs: int):
    """Yield each chunk's patient count as it is written, in this process or in `jobs` workers."""
    if jobs <= 1:
        for chunk in chunks:
            yield seed_chunk(*chunk)
        return
    # Workers are fresh interpreters ("spawn"): forking a process that holds database
    # connections and pool threads is unsafe.
    connections.close_all()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=set_up_worker) as pool:
        futures = [pool.submit(seed_chunk, *chunk) for chunk in chunks]
        for future in as_completed(futures):
            yield future.result()


def load_existing_clinic(ctx: ClinicContext) -> bool:
    """Fill the context from an organization already in the database; False if there is none."""
    organization = Organization.objects.filter(name=data.ORGANIZATION["name"]).first()
    if organization is None:
        return False
    ctx.organization = organization
    sites_by_name = {site.name: site for site in organization.sites.all()}
    for key, fields in data.SITES.items():
        ctx.sites[key] = sites_by_name[fields["name"]]
    programs_by_code = {program.code: program for program in organization.programs.all()}
    for spec in data.PROGRAMS:
        ctx.programs[spec.key] = programs_by_code[spec.code]
    for user in organization.users.prefetch_related("programs"):
        ctx.staff[user.username] = user
    assign_caseload_pools(ctx)
    return True


def add_seed_clinicians(ctx: ClinicContext, *, count: int) -> None:
    """Add `count` clinicians spread over the programs, named clinician001, clinician002, ..."""
    taken = set(User.objects.filter(username__startswith="clinician").values_list("username", flat=True))
    number = 0
    for index in range(count):
        number += 1
        while f"clinician{number:03d}" in taken:
            number += 1
        spec = data.PROGRAMS[index % len(data.PROGRAMS)]
        user = _create_user(
            ctx, username=f"clinician{number:03d}", role=Role.CLINICIAN,
            first_name=ctx.fake.first_name(), last_name=ctx.fake.last_name(),
            credentials=ctx.rng.choice(data.SEED_CLINICIAN_CREDENTIALS),
        )
        user.programs.set([ctx.programs[spec.key]])
        ctx.staff[user.username] = user
        ctx.primary_clinicians.setdefault(spec.key, []).append(user)


def add_patient_with_history(ctx: ClinicContext) -> Patient:
    """Admit one patient some day in the past year; discharge them if their stay has ended."""
    keys = list(SEED_PROGRAM_WEIGHTS)
    key = ctx.rng.choices(keys, weights=[SEED_PROGRAM_WEIGHTS[k] for k in keys])[0]
    spec = SPECS_BY_KEY[key]
    admitted_on = weekday_on_or_before(
        ctx.today - dt.timedelta(days=ctx.rng.randint(0, SEED_HISTORY_DAYS - 1))
    )
    reason = pick_discharge_reason(ctx)
    discharged_on = admitted_on + dt.timedelta(days=length_of_stay_days(ctx, reason))
    discharge = (discharged_on, reason) if discharged_on < ctx.today else None
    return enroll_synthetic_patient(ctx, spec, admitted_on=admitted_on, discharge=discharge)


# --- one synthetic patient ------------------------------------------------------------------


def enroll_synthetic_patient(
    ctx: ClinicContext,
    spec: data.ProgramSpec,
    *,
    admitted_on: dt.date,
    discharge: tuple[dt.date | None, str] | None = None,
    primary: User | None = None,
    ages: tuple[int, int] | None = None,
    language: tuple[str, bool] | None = None,
) -> Patient:
    """Register, insure and admit one synthetic patient through the services.

    `discharge` is (date, reason); a None date picks a length of stay that fits the reason.
    """
    program = ctx.programs[spec.key]
    fields = synthetic_person(
        ctx, spec, admitted_on=admitted_on, current=discharge is None, ages=ages,
        language=language,
    )
    guardian = fields.pop("_guardian")
    patient = patients.register_patient(
        actor=None, organization=ctx.organization, program=program, **fields
    )
    coverages = synthetic_coverages(ctx, spec, patient, admitted_on=admitted_on, guardian=guardian)
    for coverage in coverages:
        patients.add_coverage(actor=None, patient=patient, program=program, **coverage)
    if guardian:
        patients.add_family_member(
            actor=None, patient=patient, name=guardian, relationship=fields["emergency_contact_relationship"],
            phone=fields["emergency_contact_phone"],
        )
    episode = admit_with_care_team(ctx, patient, spec, admitted_on=admitted_on, primary=primary)
    discharged_on = None
    if discharge is not None:
        discharged_on, reason = discharge
        if discharged_on is None:
            discharged_on = admitted_on + dt.timedelta(days=length_of_stay_days(ctx, reason))
        discharged_on = min(discharged_on, ctx.today)
    if any(coverage["kind"] == CoverageKind.MEDICARE for coverage in coverages):
        certify_for_medicare(ctx, episode, until=discharged_on or ctx.today)
    if discharge is not None:
        care.discharge_patient(
            actor=None, episode=episode, discharged_on=discharged_on, reason=reason
        )
    ctx.patients_written += 1
    return patient


def readmit(ctx: ClinicContext, patient: Patient, spec: data.ProgramSpec, *, admitted_on: dt.date):
    episode = admit_with_care_team(ctx, patient, spec, admitted_on=admitted_on)
    if patient.coverages.filter(kind=CoverageKind.MEDICARE).exists():
        certify_for_medicare(ctx, episode, until=ctx.today)
    return episode


def admit_with_care_team(ctx, patient, spec, *, admitted_on: dt.date, primary: User | None = None):
    """Open an episode with diagnoses, a primary clinician and a prescriber."""
    program = ctx.programs[spec.key]
    episode = care.admit_patient(
        actor=None, patient=patient, program=program, admitted_on=admitted_on,
        level_of_care="iop", planned_weekly_hours=planned_weekly_hours(ctx, spec),
        expected_length_of_stay_days=expected_stay_days(ctx),
    )
    for index, (code, description) in enumerate(synthetic_diagnoses(ctx, spec)):
        care.add_diagnosis(
            actor=None, episode=episode, icd10_code=code, description=description,
            is_primary=index == 0, recorded_on=admitted_on,
        )
    primary = primary or ctx.rng.choice(ctx.primary_clinicians[spec.key])
    care.assign_care_team_member(
        actor=None, episode=episode, user=primary, role=CareTeamRole.PRIMARY_CLINICIAN,
        start_date=admitted_on,
    )
    if ctx.prescribers.get(spec.key):
        # The psychiatric evaluation usually happens in the first week.
        first_visit = min(admitted_on + dt.timedelta(days=ctx.rng.randint(0, 7)), ctx.today)
        care.assign_care_team_member(
            actor=None, episode=episode, user=ctx.rng.choice(ctx.prescribers[spec.key]),
            role=CareTeamRole.PRESCRIBER, start_date=max(first_visit, admitted_on),
        )
    return episode


def planned_weekly_hours(ctx: ClinicContext, spec: data.ProgramSpec) -> int:
    """The track's group hours, often plus a weekly individual session, within the band."""
    hours = spec.track_hours + (1 if ctx.rng.random() < 0.5 else 0)
    return max(spec.min_weekly_hours, min(hours, spec.max_weekly_hours))


def expected_stay_days(ctx: ClinicContext) -> int:
    return ctx.rng.choice(EXPECTED_STAYS_DAYS)


def certify_for_medicare(ctx: ClinicContext, episode, *, until: dt.date) -> None:
    """Medicare covers IOP on a physician's certification, renewed every 60 days: certify at
    admission and recertify shortly before each due date that fell before `until`. Recorded by
    the intake coordinator (nobody when the clinic has none)."""
    recorder = ctx.staff.get("intake")
    if recorder is None:
        return
    certified_on, recertification = episode.admitted_on, False
    while True:
        certification = care.record_medicare_certification(
            actor=recorder, episode=episode, certified_on=certified_on,
            physician_name=data.CERTIFYING_PHYSICIAN, needs_at_least_nine_hours=True,
            is_recertification=recertification,
        )
        next_on = certification.recertification_due_on - dt.timedelta(days=ctx.rng.randint(1, 5))
        if next_on > until:
            return
        certified_on, recertification = next_on, True


def synthetic_person(
    ctx: ClinicContext,
    spec: data.ProgramSpec,
    *,
    admitted_on: dt.date,
    current: bool,
    ages: tuple[int, int] | None = None,
    language: tuple[str, bool] | None = None,
    gender_identity: str = "",
) -> dict:
    """Return Patient fields for a made-up person who fits the program (plus `_guardian`).

    `gender_identity` (e.g. "Man") when the story needs one, else drawn from data.GENDERS."""
    rng = ctx.rng
    genders = [g for g in data.GENDERS if g[1] == gender_identity] if gender_identity else data.GENDERS
    sex, gender, pronouns = weighted_choice(rng, [(g[:3], g[3]) for g in genders])
    spoken, interpreter = language or pick_language(rng)
    fake = ctx.fake_for(LOCALE_BY_LANGUAGE[spoken])
    feminine = gender in ("Woman", "Transgender woman") or (gender == "Non-binary" and rng.random() < 0.5)
    first = fake.first_name_female() if feminine else fake.first_name_male()
    last = fake.last_name()
    date_of_birth = synthetic_birth_date(
        rng, ages or spec.patient_ages, admitted_on=admitted_on,
        # A current adolescent must still be under the program's maximum age today.
        max_age_today=spec.max_age if current else None, today=ctx.today,
    )
    minor = age_on(date_of_birth, admitted_on) < 18
    contact_last = last if rng.random() < 0.7 else fake.last_name()
    if minor:
        relationship = Relationship.PARENT if rng.random() < 0.9 else Relationship.GUARDIAN
        contact_first = fake.first_name_female() if rng.random() < 0.65 else fake.first_name_male()
    else:
        relationship = weighted_choice(rng, [
            (Relationship.SPOUSE, 35), (Relationship.PARENT, 25), (Relationship.SIBLING, 15),
            (Relationship.FRIEND, 15), (Relationship.CHILD, 5), (Relationship.OTHER, 5),
        ])
        contact_first = fake.first_name()
    contact_name = f"{contact_first} {contact_last}"
    address = ctx.fake.street_address()
    city, postal_code = rng.choice(data.TOWNS)
    return {
        "legal_first_name": first,
        "legal_middle_name": fake.first_name_female()[:1] if rng.random() < 0.4 else "",
        "legal_last_name": last,
        "preferred_name": preferred_name(rng, fake, first, gender),
        # Pronouns are recorded when the person shares them; many intake forms leave them blank.
        "pronouns": pronouns if gender not in ("Woman", "Man") or rng.random() < 0.45 else "",
        "date_of_birth": date_of_birth,
        "sex_assigned_at_birth": sex,
        "gender_identity": gender,
        "language": spoken,
        "interpreter_needed": interpreter,
        "phone": fictional_phone(ctx),
        "email": synthetic_email(rng, first, last) if rng.random() < 0.85 else "",
        "address_line": address[:200],
        "city": city,
        "state": data.STATE,
        "postal_code": postal_code,
        "preferred_contact": weighted_choice(rng, [
            (ContactMethod.PHONE, 45), (ContactMethod.TEXT, 35), (ContactMethod.EMAIL, 10),
            (ContactMethod.PORTAL, 10),
        ]),
        # Many patients do not want a voicemail that reveals they are in treatment.
        "ok_to_leave_message": rng.random() < 0.5,
        "emergency_contact_name": contact_name,
        "emergency_contact_relationship": relationship,
        "emergency_contact_phone": fictional_phone(ctx),
        "_guardian": contact_name if minor else "",
    }


def synthetic_coverages(ctx, spec, patient, *, admitted_on: dt.date, guardian: str) -> list[dict]:
    """Return coverage fields in priority order: Medicaid, Medicare, commercial or self-pay."""
    rng = ctx.rng
    age = age_on(patient.date_of_birth, admitted_on)
    start = admitted_on - dt.timedelta(days=rng.randint(30, 1500))
    if age >= 65:
        coverages = [medicare_coverage(ctx, patient, start)]
        if rng.random() < 0.3:  # dual eligible: Medicaid pays after Medicare
            coverages.append(medicaid_coverage(ctx, patient, start, priority=2))
        return coverages
    roll = rng.random()
    if roll < 0.04 and age >= 18:  # Medicare through disability
        return [medicare_coverage(ctx, patient, start)]
    if roll < (0.45 if spec.kind == "adolescent" else 0.42):
        return [medicaid_coverage(ctx, patient, start)]
    if roll < 0.92:
        payer, prefix = rng.choice(data.COMMERCIAL_PAYERS)
        return [{
            "kind": CoverageKind.COMMERCIAL, "payer_name": payer,
            "member_id": f"{prefix}{rng.randint(10**8, 10**9 - 1)}",
            "group_number": f"{rng.randint(10000, 999999):06d}",
            # A minor is covered as a dependant on a parent's plan.
            "subscriber_name": guardian or patient.legal_name, "priority": 1, "start_date": start,
        }]
    return [{"kind": CoverageKind.SELF_PAY, "payer_name": data.SELF_PAY_PAYER, "priority": 1}]


def medicaid_coverage(ctx, patient, start: dt.date, priority: int = 1) -> dict:
    return {
        "kind": CoverageKind.MEDICAID, "payer_name": data.MEDICAID_PAYER,
        "member_id": f"{ctx.rng.randint(10**11, 10**12 - 1)}",
        "subscriber_name": patient.legal_name, "priority": priority, "start_date": start,
    }


def medicare_coverage(ctx, patient, start: dt.date) -> dict:
    return {
        "kind": CoverageKind.MEDICARE, "payer_name": data.MEDICARE_PAYER,
        "member_id": synthetic_mbi(ctx.rng), "subscriber_name": patient.legal_name,
        "priority": 1, "start_date": start,
    }


def synthetic_diagnoses(ctx: ClinicContext, spec: data.ProgramSpec) -> list[tuple[str, str]]:
    """Return a primary diagnosis that fits the program and sometimes a secondary one."""
    primary_pool, secondary_pool, secondary_chance = data.DIAGNOSIS_POOLS[spec.kind]
    primary = ctx.rng.choice(primary_pool)
    diagnoses = [primary]
    if ctx.rng.random() < secondary_chance:
        candidates = [d for d in secondary_pool if d[0] != primary[0]]
        diagnoses.append(ctx.rng.choice(candidates))
    return diagnoses


# --- small generators -----------------------------------------------------------------------


def assign_caseload_pools(ctx: ClinicContext) -> None:
    """Decide who takes new patients in each program, from the staff table or their programs."""
    ctx.primary_clinicians = {key: [] for key in SPECS_BY_KEY}
    ctx.prescribers = {key: [] for key in SPECS_BY_KEY}
    for username, user in ctx.staff.items():
        spec = STAFF_BY_USERNAME.get(username)
        if spec is not None:
            primary_for, prescriber_for = spec.primary_for, spec.prescriber_for
        elif user.role == Role.CLINICIAN:
            codes = {program.code for program in user.programs.all()}
            primary_for = tuple(s.key for s in data.PROGRAMS if s.code in codes)
            prescriber_for = ()
        else:
            continue
        for key in primary_for:
            ctx.primary_clinicians[key].append(user)
        for key in prescriber_for:
            ctx.prescribers[key].append(user)
    missing = [key for key, users in ctx.primary_clinicians.items() if not users]
    if missing:
        raise ValueError(f"No clinician takes patients in program(s) {', '.join(missing)}.")


def _create_user(ctx: ClinicContext, *, username: str, role: str, **fields) -> User:
    user = User(
        username=username, role=role, organization=ctx.organization,
        email=f"{username}@riverbend.example.org", **fields,
    )
    if ctx.password_hash:
        user.password = ctx.password_hash
    else:
        user.set_unusable_password()
    user.save()
    return user


def weighted_choice(rng: Random, options):
    """Pick from (value, weight) pairs."""
    values = [value for value, _ in options]
    weights = [weight for _, weight in options]
    return rng.choices(values, weights=weights)[0]


def pick_language(rng: Random) -> tuple[str, bool]:
    spoken = weighted_choice(rng, [(lang, weight) for lang, weight, _, _ in data.LANGUAGES])
    return spoken, rng.random() < INTERPRETER_CHANCE_BY_LANGUAGE[spoken]


def pick_discharge_reason(ctx: ClinicContext) -> str:
    return weighted_choice(ctx.rng, data.DISCHARGE_REASONS)


def length_of_stay_days(ctx: ClinicContext, reason: str) -> int:
    """Return a stay that fits how it ended: completions run 6-14 weeks, early exits less."""
    ranges = {
        DischargeReason.COMPLETED: (42, 100),
        DischargeReason.STEP_DOWN: (35, 90),
        DischargeReason.AMA: (5, 35),
        DischargeReason.STEP_UP: (4, 30),
        DischargeReason.ADMINISTRATIVE: (14, 60),
        DischargeReason.OTHER: (10, 80),
    }
    low, high = ranges[reason]
    return ctx.rng.randint(low, high)


def preferred_name(rng: Random, fake, first: str, gender: str) -> str:
    if gender.startswith("Transgender"):
        # A name that matches their gender when the legal name does not (yet).
        return fake.first_name_female() if gender.endswith("woman") else fake.first_name_male()
    if first in data.NICKNAMES and rng.random() < 0.5:
        return data.NICKNAMES[first]
    return ""


def synthetic_birth_date(
    rng: Random, ages: tuple[int, int], *, admitted_on: dt.date, max_age_today: int | None,
    today: dt.date,
) -> dt.date:
    """Return a birth date that makes the person `ages` old at admission (adults cluster 25-45)."""
    youngest, oldest = ages
    mode = youngest + (oldest - youngest) * 0.3
    age = min(oldest, int(rng.triangular(youngest, oldest + 1, mode)))
    earliest = add_years(admitted_on, -(age + 1)) + dt.timedelta(days=1)
    latest = add_years(admitted_on, -age)
    birth = earliest + dt.timedelta(days=rng.randint(0, (latest - earliest).days))
    if max_age_today is not None and age_on(birth, today) > max_age_today:
        birth = add_years(birth, 1)
    return birth


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def weekday_on_or_before(day: dt.date) -> dt.date:
    """Admissions happen on weekdays; move a Saturday or Sunday back to Friday."""
    return day - dt.timedelta(days=max(0, day.weekday() - 4))


def fictional_phone(ctx: ClinicContext) -> str:
    # 555-0100..555-0199 is reserved for fiction, so no real person can be dialled.
    area = ctx.rng.choice(["609", "732", "856", "908", "973"])
    return f"({area}) 555-01{ctx.rng.randint(0, 99):02d}"


def synthetic_email(rng: Random, first: str, last: str) -> str:
    # example.com/.net/.org are reserved domains: mail to them goes nowhere.
    local = ascii_letters(f"{first}.{last}").lower()
    return f"{local}{rng.randint(1, 99)}@{rng.choice(['example.com', 'example.net', 'example.org'])}"


def ascii_letters(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c == "."))


# Medicare Beneficiary Identifier layout: C A AN N A AN N A A N N (no S, L, O, I, B, Z).
MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"
MBI_LAYOUT = "CAXNAXNAANN"


def synthetic_mbi(rng: Random) -> str:
    characters = {
        "C": "123456789",
        "A": MBI_LETTERS,
        "N": "0123456789",
        "X": MBI_LETTERS + "0123456789",
    }
    return "".join(rng.choice(characters[slot]) for slot in MBI_LAYOUT)


# --- reading back what is there -------------------------------------------------------------


def summarize_clinic(*, started: float, already_built: bool = False) -> ClinicSummary:
    organization = Organization.objects.filter(name=data.ORGANIZATION["name"]).first()
    current = Patient.objects.filter(
        organization=organization,
        episodes__status__in=[EpisodeStatus.ACTIVE, EpisodeStatus.ONHOLD],
    ).distinct().count()
    total = Patient.objects.filter(organization=organization).count()
    return ClinicSummary(
        sites=Site.objects.filter(organization=organization).count(),
        programs=Program.objects.filter(organization=organization).count(),
        current_patients=current,
        discharged_patients=total - current,
        staff=User.objects.filter(organization=organization)
        .exclude(role__in=[Role.PATIENT, Role.FAMILY]).count(),
        seconds=time.monotonic() - started,
        already_built=already_built,
    )


def demo_logins() -> list[DemoLogin]:
    """Return every demo login that exists, staff first, with what each one sees."""
    users = {user.username: user for user in User.objects.filter(
        username__in=[*STAFF_BY_USERNAME, PATIENT_USERNAME, FAMILY_USERNAME]
    ).select_related("patient")}
    logins = []
    for spec in data.STAFF:
        user = users.get(spec.username)
        if user is not None:
            logins.append(DemoLogin(user.username, user.get_role_display(), user.display_name, spec.sees))
    if PATIENT_USERNAME in users:
        user = users[PATIENT_USERNAME]
        sees = f"{data.PATIENT_LOGIN_SEES}, MRN {user.patient.mrn}" if user.patient else data.PATIENT_LOGIN_SEES
        logins.append(DemoLogin(user.username, user.get_role_display(), user.display_name, sees))
    if FAMILY_USERNAME in users:
        user = users[FAMILY_USERNAME]
        logins.append(DemoLogin(user.username, user.get_role_display(), user.display_name, data.FAMILY_LOGIN_SEES))
    return logins
