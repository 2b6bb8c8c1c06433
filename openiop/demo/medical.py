"""The demo clinic's medications, reconciliations, drug screens and recovery dates.

Written through openiop.medical.services only, as the care team would:
- most patients take something: antidepressants, anxiety and sleep medications in the
  mental-health and co-occurring programs; for opioid use disorder buprenorphine (a few with a
  dose change), extended-release naltrexone, or methadone dosed by an opioid treatment
  program; naltrexone or acamprosate for alcohol use disorder; some outside medications the
  patient already took before admission (blood pressure, diabetes, an outside benzodiazepine
  that the admission reconciliation stops);
- an admission reconciliation for every episode except those admitted in the last two days,
  and a discharge reconciliation for discharged patients;
- adherence notes, mostly "taking as prescribed", a few missed doses;
- weekly-ish drug screens for the substance-use and co-occurring programs over the last 8
  weeks (12-panel cup, a fentanyl strip now and then, breath alcohol for alcohol use
  disorder, one laboratory screen still waiting for results). Results are what the
  medications explain, except: one unexpected cocaine positive, one fentanyl positive (an
  urgent task) and one buprenorphine negative while prescribed (possible missed doses: a task
  for the clinician and the prescriber);
- recovery dates chosen by a few patients (the `patient` login set theirs in the portal).

Deterministic for the demo seed; adherence notes carry the build time (the service stamps now).
"""

from __future__ import annotations

import datetime as dt
from random import Random

from openiop.care.models import CareTeamMember, CareTeamRole, EpisodeOfCare, EpisodeStatus
from openiop.medical import rules, services
from openiop.medical.models import Decision, ScreenStatus
from openiop.scheduling.rules import local_moment

SCREEN_WEEKS = 8
# Current opioid use disorder patients in turn: buprenorphine, methadone, buprenorphine,
# naltrexone, none (the `roll` values medications_for reads).
MOUD_TURNS = (0.1, 0.6, 0.2, 0.8, 0.95)
OTP_NAME = "Harbor Street Opioid Treatment Program"
OUTSIDE_DOCTORS = ("Dr. Priya Natarajan (primary care)", "Dr. Samuel Okonjo (primary care)",
                   "Dr. Helen Park (psychiatry, community clinic)")

# name, dose, route, frequency, reason
MH_MEDICATIONS = (
    ("Sertraline", "50 mg", "oral", "once daily", "Depression"),
    ("Sertraline", "100 mg", "oral", "once daily", "Depression and anxiety"),
    ("Escitalopram", "10 mg", "oral", "once daily", "Generalized anxiety"),
    ("Fluoxetine", "20 mg", "oral", "once daily in the morning", "Depression"),
    ("Bupropion XL", "150 mg", "oral", "once daily in the morning", "Depression"),
    ("Lamotrigine", "100 mg", "oral", "once daily", "Bipolar II disorder"),
    ("Prazosin", "2 mg", "oral", "at bedtime", "Trauma-related nightmares"),
    ("Hydroxyzine", "25 mg", "oral", "up to three times daily as needed", "Anxiety"),
)
SLEEP = ("Trazodone", "50 mg", "oral", "at bedtime", "Sleep")
OUTSIDE_MEDICATIONS = (
    ("Lisinopril", "10 mg", "oral", "once daily", "High blood pressure"),
    ("Metformin", "500 mg", "oral", "twice daily with meals", "Type 2 diabetes"),
    ("Levothyroxine", "50 mcg", "oral", "once daily before breakfast", "Hypothyroidism"),
)


def build_medical(ctx) -> None:
    """Medications, reconciliations, adherence notes, drug screens and recovery dates (see the module)."""
    builder = MedicalBuilder(ctx)
    episodes = latest_episodes(ctx)
    for episode in episodes:
        builder.medications_for(episode)
    builder.screens_for([e for e in episodes if e.is_current and e.program.is_part2])
    builder.recovery_dates([e for e in episodes if e.is_current and e.program.is_part2])
    ctx.report(f"Building demo clinic: medications and drug screens for {len(episodes)} patients "
               f"({builder.screens} screens, {builder.unexpected} with unexpected results)")


def latest_episodes(ctx) -> list[EpisodeOfCare]:
    """Each patient's latest episode (a readmitted patient's current one)."""
    seen, found = set(), []
    for episode in (EpisodeOfCare.objects.filter(patient__organization=ctx.organization)
                    .exclude(status=EpisodeStatus.CANCELLED)
                    .select_related("patient", "program").prefetch_related("diagnoses")
                    .order_by("patient_id", "-admitted_on", "-id")):
        if episode.patient_id not in seen:
            seen.add(episode.patient_id)
            found.append(episode)
    return sorted(found, key=lambda e: e.pk)


def care_team(episode, role) -> list:
    return [m.user for m in CareTeamMember.objects.filter(episode=episode, role=role).select_related("user")]


class MedicalBuilder:
    def __init__(self, ctx):
        self.ctx = ctx
        self.rng = Random(f"{ctx.seed}-medical")
        self.today = ctx.today
        self.keys = {program.pk: key for key, program in ctx.programs.items()}
        self.moud: dict[int, str] = {}          # patient id -> MOUD kind
        self.alcohol: set[int] = set()          # patient ids with an alcohol use disorder
        self.screens = 0
        self.opioid_turn = 0
        self.unexpected = 0

    # --- medications -----------------------------------------------------------------------

    def people(self, episode):
        primary = (care_team(episode, CareTeamRole.PRIMARY_CLINICIAN) or [None])[0]
        prescriber = (care_team(episode, CareTeamRole.PRESCRIBER)
                      or self.ctx.prescribers.get(self.keys.get(episode.program_id), []) or [primary])[0]
        return primary, prescriber

    def medications_for(self, episode) -> None:
        rng, patient = self.rng, episode.patient
        primary, prescriber = self.people(episode)
        actor = prescriber or primary
        codes = {d.icd10_code for d in episode.diagnoses.all()}
        opioid = any(code.startswith("F11") for code in codes)
        alcohol = any(code.startswith("F10") for code in codes)
        if alcohol:
            self.alcohol.add(patient.pk)
        admitted = episode.admitted_on
        before = []
        # Outside medications the patient already took.
        if rng.random() < 0.25:
            name, dose, route, frequency, reason = rng.choice(OUTSIDE_MEDICATIONS)
            before.append(services.add_medication(
                actor=actor, patient=patient, name=name, dose=dose, route=route, frequency=frequency, reason=reason,
                source="outside", prescriber_name=rng.choice(OUTSIDE_DOCTORS), before_admission=True,
                started_on=admitted - dt.timedelta(days=rng.randint(120, 900))))
        stop_at_admission = None
        if episode.program.is_part2 and rng.random() < 0.12:
            stop_at_admission = services.add_medication(
                actor=actor, patient=patient, name="Alprazolam", dose="0.5 mg", route="oral",
                frequency="as needed", reason="Anxiety", source="patient", before_admission=True,
                started_on=admitted - dt.timedelta(days=rng.randint(60, 400)))
            before.append(stop_at_admission)
        here = []
        start = admitted + dt.timedelta(days=rng.randint(0, 10))
        if start >= self.today:
            start = admitted
        # Medications for opioid use disorder.
        if opioid:
            # Current patients take turns (so each kind is in the demo); earlier ones by chance.
            if episode.is_current:
                roll = MOUD_TURNS[self.opioid_turn % len(MOUD_TURNS)]
                self.opioid_turn += 1
            else:
                roll = rng.random()
            if roll < 0.5:
                kind = "buprenorphine"
                bup = self.add(actor, episode, prescriber, "Buprenorphine/naloxone", rng.choice(["8 mg/2 mg",
                               "16 mg/4 mg"]), "sublingual", "once daily", "Opioid use disorder",
                               moud=kind, started_on=admitted - dt.timedelta(days=rng.randint(0, 60)))
                if rng.random() < 0.3 and (self.today - admitted).days > 20:
                    bup = services.change_dose(actor=actor, medication=bup, dose="12 mg/3 mg",
                                               changed_on=admitted + dt.timedelta(days=14),
                                               reason="Cravings in the evenings")
                here.append(bup)
            elif roll < 0.7:
                kind = "methadone"
                before.append(services.add_medication(
                    actor=actor, patient=patient, name="Methadone", dose=f"{rng.choice([60, 80, 90, 100])} mg",
                    route="oral", frequency="once daily (observed dosing)", reason="Opioid use disorder",
                    moud=kind, otp_name=OTP_NAME, source="outside",
                    started_on=admitted - dt.timedelta(days=rng.randint(30, 500)), before_admission=True))
            elif roll < 0.9:
                kind = "naltrexone"
                here.append(self.add(actor, episode, prescriber, "Naltrexone extended-release injectable suspension",
                                     "380 mg", "injection", "every 4 weeks", "Opioid use disorder", moud=kind,
                                     started_on=start))
            else:
                kind = ""
            if kind:
                self.moud[patient.pk] = kind
        elif alcohol and rng.random() < 0.5:
            name, dose, frequency = rng.choice([("Naltrexone", "50 mg", "once daily"),
                                                ("Acamprosate", "666 mg", "three times daily")])
            here.append(self.add(actor, episode, prescriber, name, dose, "oral", frequency, "Alcohol use disorder",
                                 started_on=start))
        # Mental health.
        mh_share = 0.85 if not episode.program.is_part2 else 0.45
        if rng.random() < mh_share:
            name, dose, route, frequency, reason = rng.choice(MH_MEDICATIONS)
            if rng.random() < 0.4:
                before.append(services.add_medication(
                    actor=actor, patient=patient, name=name, dose=dose, route=route, frequency=frequency,
                    reason=reason, source="outside", prescriber_name=rng.choice(OUTSIDE_DOCTORS),
                    before_admission=True, started_on=admitted - dt.timedelta(days=rng.randint(30, 700))))
            else:
                here.append(self.add(actor, episode, prescriber, name, dose, route, frequency, reason,
                                     started_on=start))
        if rng.random() < 0.25:
            here.append(self.add(actor, episode, prescriber, *SLEEP, started_on=start))
        # Admission reconciliation (not yet for the newest admissions).
        if (self.today - admitted).days > 2 or not episode.is_current:
            decisions = {m.pk: (Decision.CONTINUE, "") for m in services.medications_to_reconcile(episode, "admission")}
            if stop_at_admission is not None:
                decisions[stop_at_admission.pk] = (Decision.STOP, ("Benzodiazepine not prescribed; discussed with "
                                                                  "the patient, taper not needed at this dose"))
            for m in here:
                if m.pk in decisions and m.started_on and m.started_on >= admitted:
                    decisions[m.pk] = (Decision.NEW, "Started at admission")
            services.reconcile_medications(
                actor=actor, episode=episode, kind="admission", decisions=decisions,
                notes="Checked with the patient and the pharmacy fill history.",
                performed_at=local_moment(min(admitted + dt.timedelta(days=1), self.today - dt.timedelta(days=1)),
                                          dt.time(11)))
        # Adherence notes.
        for medication in here + before:
            if not medication.is_active or rng.random() > 0.45:
                continue
            if rng.random() < 0.15:
                services.write_adherence_note(actor=actor, medication=medication, adherence="missed_doses",
                                              text="Missed two doses last week when working double shifts; "
                                                   "set a phone reminder.")
            else:
                services.write_adherence_note(actor=actor, medication=medication, adherence="as_prescribed",
                                              text="Taking it every day; no side effects reported.")
        if not episode.is_current and episode.discharged_on:
            decisions = {m.pk: (Decision.CONTINUE, "Follow up with the outpatient prescriber")
                         for m in services.medications_to_reconcile(episode, "discharge")}
            services.reconcile_medications(
                actor=actor, episode=episode, kind="discharge", decisions=decisions,
                notes="List given to the patient and sent to the next provider with consent.",
                performed_at=local_moment(episode.discharged_on, dt.time(15)))

    def add(self, actor, episode, prescriber, name, dose, route, frequency, reason, *, moud="none", started_on=None):
        return services.add_medication(
            actor=actor, patient=episode.patient, episode=episode, name=name, dose=dose, route=route,
            frequency=frequency, reason=reason, moud=moud, source="here", prescriber=prescriber,
            started_on=started_on)

    # --- drug screens ----------------------------------------------------------------------

    def screens_for(self, episodes) -> None:
        rng = self.rng
        portal = self.ctx.portal_patient.pk if self.ctx.portal_patient else None
        candidates = [e for e in episodes if e.patient_id != portal and (self.today - e.admitted_on).days > 7]
        bup = [e for e in candidates if self.moud.get(e.patient_id) == "buprenorphine"]
        others = [e for e in candidates if e not in bup]
        rng.shuffle(others)
        surprises = {}
        if bup:
            surprises[rng.choice(bup).pk] = {"buprenorphine": "negative"}
        for episode, finding in zip(others, ({"cocaine": "positive"}, {"fentanyl": "positive"}), strict=False):
            surprises[episode.pk] = finding
        lab_pending = others[2].pk if len(others) > 2 else None
        for episode in episodes:
            self.screen_history(episode, surprises.get(episode.pk), pending_lab=episode.pk == lab_pending)

    def screen_history(self, episode, surprise, *, pending_lab=False) -> None:
        rng, patient = self.rng, episode.patient
        primary, _ = self.people(episode)
        start = max(episode.admitted_on + dt.timedelta(days=1), self.today - dt.timedelta(weeks=SCREEN_WEEKS))
        days = []
        day = start
        while day < self.today:
            if day.weekday() < 5:
                days.append(day)
                day += dt.timedelta(days=rng.randint(6, 8))
            else:
                day += dt.timedelta(days=1)
        if not days:
            return
        surprise_day = days[-1] if surprise else None
        moud = self.moud.get(patient.pk, "")
        for index, day in enumerate(days):
            collected_at = local_moment(day, dt.time(17, rng.choice([0, 15, 30, 45])))
            surprising = day == surprise_day
            fentanyl_check = (surprising and "fentanyl" in surprise) or (moud and index % 2 == 0)
            panel = "cup14" if fentanyl_check else "cup12"
            results = {code: "negative" for code in rules.PANELS[panel].substances}
            if moud == "buprenorphine":
                results["buprenorphine"] = "positive"
            elif moud == "methadone":
                results["methadone"] = "positive"
            if surprising:
                results.update(surprise)
            services.record_drug_screen(
                actor=primary, patient=patient, specimen="urine", collected_at=collected_at,
                observed=rng.random() < 0.7, panel=panel, results=results, collected_by=primary, episode=episode)
            self.screens += 1
            if day == surprise_day:
                self.unexpected += 1
            if patient.pk in self.alcohol and index % 2 == 0:
                services.record_drug_screen(
                    actor=primary, patient=patient, specimen="breath", collected_at=collected_at + dt.timedelta(
                        minutes=5), observed=True, panel="breath", results={"alcohol": "negative"},
                    values={"alcohol": "0.000"}, collected_by=primary, episode=episode)
                self.screens += 1
        if pending_lab:
            day = days[-1]
            services.record_drug_screen(
                actor=primary, patient=patient, specimen="urine", collected_at=local_moment(day, dt.time(18, 10)),
                observed=True, panel="lab_uds", method=rules.Method.LAB, lab="Northeast Toxicology Laboratory",
                collected_by=primary, episode=episode, notes="Sent for confirmation of the cup result.")
            self.screens += 1

    # --- recovery dates --------------------------------------------------------------------

    def recovery_dates(self, episodes) -> None:
        from openiop.accounts.models import User

        rng = self.rng
        portal = self.ctx.portal_patient
        if portal is not None:
            login = User.objects.filter(patient=portal).first()
            episode = next((e for e in episodes if e.patient_id == portal.pk), None)
            if login is not None and episode is not None:
                services.set_recovery_date(actor=login, patient=portal, source="portal",
                                           date=episode.admitted_on - dt.timedelta(days=3))
        others = [e for e in episodes if portal is None or e.patient_id != portal.pk]
        for episode in rng.sample(others, min(3, len(others))):
            primary, _ = self.people(episode)
            services.set_recovery_date(
                actor=primary, patient=episode.patient, source="clinic",
                date=episode.admitted_on - dt.timedelta(days=rng.randint(1, 40)),
                note="The patient asked me to record this date in individual session.")


__all__ = ["ScreenStatus", "build_medical"]
