"""The demo clinic's intake pipeline: referrals at every stage, written through the services.

Each `data.REFERRALS` entry is told as a story: the request comes in, the intake coordinator
calls back, a clinician screens and assesses, the person is admitted, waitlisted or the referral
is closed. The demo's `intake` login and the programs' clinicians do each step through the
intake and care services, so records, labels, alerts and audit events are what production makes.

The services stamp everything "now". Afterwards the story dates its referral over the past
weeks: the referral's own timestamps, its events, screening and assessment times are moved to
when each step happened in the story. Audit events are never touched (they are append-only and
say when the demo was built).
"""

import datetime as dt

from django.utils import timezone

from openiop.care import services as care
from openiop.care.models import ConsentKind
from openiop.demo import data
from openiop.demo.loader import (
    SPECS_BY_KEY,
    ClinicContext,
    expected_stay_days,
    fictional_phone,
    planned_weekly_hours,
    synthetic_diagnoses,
    synthetic_mbi,
    synthetic_person,
    weekday_on_or_before,
)
from openiop.intake import services as intake
from openiop.intake.enums import Stage
from openiop.intake.levels import FRAMEWORKS
from openiop.intake.models import LevelOfCareAssessment, Referral, ReferralEvent, Screening
from openiop.patients import services as patients
from openiop.patients.enums import ContactMethod, CoverageKind
from openiop.worklist.models import Task

# How far along the pipeline each stage is, to decide which steps a story goes through.
PIPELINE = [
    Stage.INQUIRY, Stage.CONTACTED, Stage.SCREENING, Stage.ASSESSMENT_SCHEDULED, Stage.ASSESSED,
    Stage.ADMITTED,
]
# Referral timestamps a step may set; each is moved to when the step happened.
TIMED_FIELDS = ("first_contact_at", "assessed_at", "admitted_at", "closed_at")
# Share of a referral's age over which its steps so far are spread (the rest is waiting).
ACTIVE_SHARE = 0.65


def build_referral_pipeline(ctx: ClinicContext) -> None:
    for spec in data.REFERRALS:
        ReferralStory(ctx, spec).tell()
    ctx.report(f"Building demo clinic: referrals {len(data.REFERRALS)}")


def reached(spec: data.ReferralSpec, stage: str) -> bool:
    """Whether the story goes through `stage` (a closed referral up to where it was closed)."""
    last = spec.closed_from if spec.stage == Stage.CLOSED else spec.stage
    return PIPELINE.index(stage) <= PIPELINE.index(last)


class ReferralStory:
    def __init__(self, ctx: ClinicContext, spec: data.ReferralSpec):
        self.ctx, self.spec = ctx, spec
        self.rng = ctx.rng
        self.key = spec.program or "sud"
        self.program_spec = SPECS_BY_KEY[self.key]
        self.program = ctx.programs[spec.program] if spec.program else None
        self.coordinator = ctx.staff["intake"]
        self.clinician = self.rng.choice(ctx.primary_clinicians[self.key])
        self.now = timezone.now().replace(microsecond=0)
        self.started = self.now - dt.timedelta(days=spec.days_ago)
        self.referral: Referral | None = None
        self.timed: dict[str, dt.datetime] = {}
        self.person = synthetic_person(
            ctx, self.program_spec, admitted_on=self.started.date(), current=True, ages=spec.ages,
            gender_identity=spec.gender,
        )

    # --- the story ---------------------------------------------------------------------------

    def tell(self) -> Referral:
        steps = self.steps()
        times = self.schedule(len(steps))
        self.created = times[0]
        for when, step in zip(times, steps, strict=True):
            self.clock = when
            step()
        self.date_referral()
        return self.referral

    def steps(self) -> list:
        spec = self.spec
        steps = [self.create]
        if spec.close_reason == "no_contact":
            return [*steps, self.call_without_answer, self.call_without_answer,
                    self.call_without_answer, self.close]
        if reached(spec, Stage.CONTACTED):
            steps.append(self.contact)
        if spec.stage == Stage.CONTACTED and spec.follow_up_in_days is not None:
            steps.append(self.note_follow_up)
        if reached(spec, Stage.SCREENING) and spec.program:
            steps.append(self.screen)
        if reached(spec, Stage.ASSESSMENT_SCHEDULED):
            steps.append(self.schedule_assessment)
        if reached(spec, Stage.ASSESSED):
            steps += [self.verify_insurance, self.assess]
        if spec.waitlist_start_in_days is not None:
            steps.append(self.waitlist)
        if spec.stage == Stage.ADMITTED:
            steps.append(self.admit)
        if spec.stage == Stage.CLOSED:
            steps.append(self.close)
        return steps

    def schedule(self, count: int) -> list[dt.datetime]:
        """When each step happened: the first when the request came in, the last at the
        admission date (admitted), or some time after the first (the rest), before now."""
        spec = self.spec
        if spec.admitted_days_ago is not None:
            admitted_on = weekday_on_or_before(self.ctx.today - dt.timedelta(days=spec.admitted_days_ago))
            end = self.at_hour(admitted_on, 10)
        elif spec.safety_positive:
            end = self.now  # screened today (or the last working day): the alert is new
        else:
            end = self.started + (self.now - self.started) * ACTIVE_SHARE
            if spec.follow_up_in_days is not None and spec.follow_up_in_days < 0:
                # The note that set an overdue follow-up was written before that day.
                end = min(end, self.now - dt.timedelta(days=-spec.follow_up_in_days + 1.5))
        gap = (end - self.started) / max(count - 1, 1)
        times = [self.started + gap * index for index in range(count)]
        # Staff work office hours: each step by phone or in person happens during the day it
        # falls on (a web request comes in whenever the person sends it).
        latest = self.now - dt.timedelta(minutes=5)
        dated = []
        for index, moment in enumerate(times):
            keep = (index == 0 and spec.from_public_request) or (
                index == count - 1 and spec.admitted_days_ago is not None
            )
            if not keep:
                moment = self.office_hours(timezone.localtime(moment).date())
                if moment > latest:  # later today than now: the working day before
                    moment = self.office_hours(timezone.localtime(latest).date() - dt.timedelta(days=1))
            moment = min(moment, latest)
            if dated and moment <= dated[-1]:
                moment = dated[-1] + dt.timedelta(minutes=self.rng.randint(1, 20))
            dated.append(moment)
        return dated

    def office_hours(self, day: dt.date) -> dt.datetime:
        """A time between 9:00 and 17:00 on `day`, or on the Friday before a weekend day."""
        return self.at_hour(
            weekday_on_or_before(day), self.rng.randint(9, 16), self.rng.randint(0, 59)
        )

    def at_hour(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))

    # --- the steps ---------------------------------------------------------------------------

    def create(self) -> None:
        spec, person = self.spec, self.person
        fields = {
            "program": self.program, "source": spec.source, "first_name": person["legal_first_name"],
            "last_name": person["legal_last_name"], "preferred_name": person["preferred_name"],
            "date_of_birth": person["date_of_birth"], "phone": person["phone"],
            "email": person["email"], "ok_to_leave_message": person["ok_to_leave_message"],
            "preferred_contact": (
                ContactMethod.PHONE if person["preferred_contact"] == ContactMethod.PORTAL
                else person["preferred_contact"]
            ),
            "best_time_to_contact": self.rng.choice(
                ["Mornings before 10", "After 5 pm", "Lunchtime, 12-1", "Any time"]
            ),
            "reason": spec.reason, "work_school_hours": spec.work_school_hours,
        }
        if spec.referrer:
            name, organization, phone = spec.referrer
            fields.update(referrer_name=name, referrer_organization=organization, referrer_phone=phone)
        if spec.requester:
            guardian = person["_guardian"]
            fields.update(
                for_whom="family", requester_relationship=spec.requester,
                requester_name=guardian or f"{self.ctx.fake.first_name()} {person['legal_last_name']}",
            )
        fields.update(self.reported_insurance())
        actor = None if spec.from_public_request else self.coordinator
        self.referral = intake.create_referral(
            actor=actor, organization=self.ctx.organization,
            from_public_request=spec.from_public_request, **fields,
        )
        ReferralEvent.objects.filter(referral=self.referral).update(at=self.clock)

    def reported_insurance(self) -> dict:
        kind = self.spec.insurance
        if kind == CoverageKind.MEDICAID:
            return {"insurance_kind": kind, "payer_name": data.MEDICAID_PAYER,
                    "member_id": f"{self.rng.randint(10**11, 10**12 - 1)}"}
        if kind == CoverageKind.MEDICARE:
            return {"insurance_kind": kind, "payer_name": data.MEDICARE_PAYER,
                    "member_id": synthetic_mbi(self.rng)}
        if kind == CoverageKind.COMMERCIAL:
            payer, prefix = self.rng.choice(data.COMMERCIAL_PAYERS)
            return {"insurance_kind": kind, "payer_name": payer,
                    "member_id": f"{prefix}{self.rng.randint(10**8, 10**9 - 1)}",
                    "group_number": f"{self.rng.randint(10000, 999999):06d}"}
        if kind == CoverageKind.SELF_PAY:
            return {"insurance_kind": kind, "payer_name": data.SELF_PAY_PAYER}
        return {}

    def act(self, call, **kwargs):
        """Run one service call as of `self.clock`: the referral's new events and the
        timestamps the call set are dated to the story's time."""
        referral = self.referral
        last_event = referral.events.order_by("-id").values_list("id", flat=True).first() or 0
        before = {name: getattr(referral, name) for name in TIMED_FIELDS}
        result = call(**kwargs)
        ReferralEvent.objects.filter(referral=referral, id__gt=last_event).update(at=self.clock)
        for name in TIMED_FIELDS:
            if before[name] is None and getattr(referral, name) is not None:
                self.timed[name] = self.clock
        return result

    def contact(self) -> None:
        note = self.rng.choice([
            "Called back; explained the program, hours and costs.",
            "Spoke by phone; talked through what brings them in and the schedule.",
            "Returned the call; went over insurance and the next steps.",
        ])
        self.act(intake.move_referral, actor=self.coordinator, referral=self.referral,
                 to_stage=Stage.CONTACTED, note=note)

    def note_follow_up(self) -> None:
        days = self.spec.follow_up_in_days
        note = self.rng.choice([
            "Wants to talk it over at home first; will call back.",
            "Waiting for the referral paperwork from the referrer.",
            "Asked for a call after payday to go over the copay.",
        ])
        # The service takes only future dates; an overdue one is dated back afterwards.
        self.act(intake.add_referral_note, actor=self.coordinator, referral=self.referral,
                 note=note, next_follow_up_on=self.ctx.today + dt.timedelta(days=max(days, 1)),
                 reached=True)

    def call_without_answer(self) -> None:
        self.act(intake.add_referral_note, actor=self.coordinator, referral=self.referral,
                 note="Called, no answer." + (
                     " Left a voicemail." if self.referral.ok_to_leave_message else
                     " No voicemail left (not OK to leave a message)."
                 ))

    def screen(self) -> None:
        spec, rng = self.spec, self.rng
        last_use = self.clock.date()
        substances = [
            {"substance": name, "route": route, "frequency": frequency,
             "last_use": (last_use - dt.timedelta(days=rng.randint(0, 3))).isoformat()}
            for name, route, frequency in spec.substances
        ]
        safety = "yes" if spec.safety_positive else "no"
        screening = self.act(
            intake.record_screening, actor=self.clinician, referral=self.referral,
            presenting_problems=spec.reason, substance_use=substances,
            withdrawal_risk=spec.withdrawal_risk,
            medical_history=rng.choice(data.MEDICAL_HISTORIES),
            psychiatric_history=rng.choice(data.PSYCHIATRIC_HISTORIES),
            current_medications=rng.choice(data.MEDICATIONS),
            current_treatment="Weekly therapy" if spec.source == "therapist" else "None at present.",
            suicidal_thoughts=safety, suicide_plan_or_intent="no", recent_suicide_attempt="no",
            violence_risk="no",
            safety_notes=(
                "Thoughts of not wanting to wake up, no plan; safety plan reviewed, partner aware."
                if spec.safety_positive else ""
            ),
            social_situation=rng.choice(data.SOCIAL_SITUATIONS),
            support_at_home=rng.choice(data.SUPPORTS),
            transportation=rng.choice(data.TRANSPORTATION),
            weekly_availability=[
                {"day": day, "start": start, "end": end}
                for day, start, end in self.program_spec.availability
            ],
        )
        Screening.objects.filter(pk=screening.pk).update(completed_at=self.clock)
        Task.objects.filter(referral=self.referral).update(created_at=self.clock)

    def schedule_assessment(self) -> None:
        self.act(intake.move_referral, actor=self.coordinator, referral=self.referral,
                 to_stage=Stage.ASSESSMENT_SCHEDULED,
                 note=f"Assessment booked with {self.clinician.display_name}.")
        if self.spec.stage == Stage.ASSESSMENT_SCHEDULED and self.spec.follow_up_in_days:
            self.act(intake.add_referral_note, actor=self.coordinator, referral=self.referral,
                     note="Reminder call the day before the assessment.",
                     next_follow_up_on=self.ctx.today + dt.timedelta(days=self.spec.follow_up_in_days))

    def verify_insurance(self) -> None:
        if self.referral.insurance_kind:
            self.act(intake.verify_insurance, actor=self.coordinator, referral=self.referral,
                     verified_on=self.clock.date())

    def assess(self) -> None:
        spec = self.spec
        framework = FRAMEWORKS[spec.framework]
        ratings = {}
        for dimension, rating in zip(framework.dimensions, spec.ratings, strict=True):
            topic = data.RATIONALE_TOPICS[spec.framework][int(dimension.key[1:]) - 1]
            band = 0 if rating is None or rating <= 1 else (1 if rating == 2 else 2)
            ratings[dimension.key] = {"rating": rating, "rationale": data.RATIONALES[topic][band]}
        assessment = self.act(
            intake.sign_assessment, actor=self.clinician, referral=self.referral,
            framework=spec.framework, ratings=ratings, locus_composite=spec.locus_composite,
            recommended_level=spec.recommended_level, actual_level=spec.actual_level,
            variance_reason=spec.variance_reason,
        )
        LevelOfCareAssessment.objects.filter(pk=assessment.pk).update(signed_at=self.clock)

    def waitlist(self) -> None:
        start = self.ctx.today + dt.timedelta(days=self.spec.waitlist_start_in_days)
        self.act(intake.waitlist_referral, actor=self.coordinator, referral=self.referral,
                 program=self.program, expected_start_on=weekday_on_or_before(start))
        self.timed["waitlisted_on"] = self.clock.date()

    def admit(self) -> None:
        spec, ctx, rng = self.spec, self.ctx, self.rng
        admitted_on = self.clock.date()
        consents = [ConsentKind.TREATMENT, ConsentKind.PRIVACY_NOTICE, ConsentKind.FINANCIAL]
        if self.program.is_part2:
            consents.append(ConsentKind.PART2_NOTICE)
        if rng.random() < 0.5:
            consents.append(ConsentKind.TELEHEALTH)
        certification = None
        if spec.insurance == CoverageKind.MEDICARE:
            certification = {
                "certified_on": admitted_on, "physician_name": data.CERTIFYING_PHYSICIAN,
                "needs_at_least_nine_hours": True,
            }
        prescribers = ctx.prescribers.get(self.key) or []
        episode = self.act(
            intake.admit_referral, actor=self.clinician, referral=self.referral,
            program=self.program, admitted_on=admitted_on,
            planned_weekly_hours=planned_weekly_hours(ctx, self.program_spec),
            expected_length_of_stay_days=expected_stay_days(ctx),
            primary_clinician=self.clinician,
            care_team=[{"user": rng.choice(prescribers), "role": "prescriber"}] if prescribers else [],
            diagnoses=[
                {"icd10_code": code, "description": description, "is_primary": index == 0}
                for index, (code, description) in enumerate(synthetic_diagnoses(ctx, self.program_spec))
            ],
            consents=[{"kind": kind, "signed_on": admitted_on} for kind in consents],
            medicare_certification=certification,
        )
        self.complete_patient_details(episode.patient)
        if spec.level_change:
            to_level, days_ago, reason = spec.level_change
            care.change_level_of_care(
                actor=self.clinician, episode=episode, to_level=to_level,
                changed_on=ctx.today - dt.timedelta(days=days_ago), reason=reason,
            )

    def complete_patient_details(self, patient) -> None:
        """What registration at the first visit adds to what the referral knew."""
        person = self.person
        patients.update_patient_details(
            actor=self.coordinator, patient=patient, **{
                name: person[name] for name in (
                    "legal_middle_name", "pronouns", "sex_assigned_at_birth", "gender_identity",
                    "language", "interpreter_needed", "address_line", "city", "state",
                    "postal_code", "emergency_contact_name", "emergency_contact_relationship",
                )
            }, emergency_contact_phone=fictional_phone(self.ctx),
        )

    def close(self) -> None:
        self.act(intake.close_referral, actor=self.coordinator, referral=self.referral,
                 reason=self.spec.close_reason, note=self.spec.close_note)

    # --- dates -------------------------------------------------------------------------------

    def date_referral(self) -> None:
        """Move the referral's timestamps to the story's times (the services said "now")."""
        updates = {"created_at": self.created, "last_action_at": self.clock, **self.timed}
        if self.spec.stage == Stage.CONTACTED and self.spec.follow_up_in_days is not None:
            updates["next_follow_up_on"] = self.ctx.today + dt.timedelta(days=self.spec.follow_up_in_days)
        Referral.objects.filter(pk=self.referral.pk).update(**updates)
