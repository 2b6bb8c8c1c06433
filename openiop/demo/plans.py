"""The demo clinic's treatment and relapse-prevention plans, in every state a clinic sees.

Admission opened both plans of every episode (`open_plans`); this step writes them through the
plan services only, as the primary clinician would, and leaves them at different points:

- drafts still being written: those admitted within the program's 7 days, and two that are late;
- signed by the clinician and the patient (most), signed and waiting for the patient (the
  `patient` login signs in the portal), signed by an associate counselor and waiting for the
  director's co-signature;
- reviewed every 30 days from admission; two reviews due within the week, two overdue;
- two reviews that stepped the service mix down (a new signed version with fewer group
  blocks), and one level-of-care change that asked for an early review;
- relapse-prevention plans with triggers in every category linked to curriculum modules and to
  the treatment goal they threaten, coping strategies from the library, high-risk situations
  with concrete plans, support people and crisis contacts; the `patient` login has proposed
  changes from the portal (one added, one to talk about, one still open).

What the services cannot do yet: signatures are stamped with the build time (`signed_at=now`),
so a plan signed "weeks ago" reads as signed today; reviews carry their real (past) dates, which
is what makes reviews due or overdue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from random import Random

from django.utils import timezone

from openiop.care import services as care
from openiop.care.models import CareTeamMember, CareTeamRole, EpisodeOfCare
from openiop.demo import data
from openiop.plans import queries
from openiop.plans import services as plans
from openiop.plans.models import (
    CopingStrategy,
    Plan,
    PlanKind,
    ProgressStatus,
    ReviewReason,
    RPItemKind,
    Service,
    SignatureMethod,
    TriggerCategory,
)
from openiop.programs.models import CurriculumModule

# The stories a current episode's plans can tell (see the module docstring).
DRAFT = "draft"                      # admitted within the plan window: still writing
LATE_DRAFT = "late_draft"            # past the 7 days, still not signed
SIGNED = "signed"                    # clinician and patient signed; reviewed every 30 days
AWAITING_PATIENT = "awaiting_patient"
AWAITING_COSIGN = "awaiting_cosign"  # the associate counselor signed; the director has not yet
REVIEW_DUE_SOON = "review_due_soon"
REVIEW_OVERDUE = "review_overdue"
STEP_DOWN = "step_down"              # a review stepped the service mix down
LEVEL_CHANGE = "level_change"        # a level-of-care change asked for an early review
PORTAL = "portal"                    # the `patient` login

# The associate counselor whose plans the clinical director co-signs.
COSIGNING_COUNSELOR = "counselor"
SUPERVISOR = "director"
REVIEW_EVERY_DAYS = 30

SUBSTANCE_KINDS = ("sud", "cod")


# --- treatment-plan content -----------------------------------------------------------------


@dataclass(frozen=True)
class GoalTemplate:
    clinical: str
    patient_words: tuple[str, ...]
    # (objective text, weeks after admission, measure code, measure target)
    objectives: tuple[tuple[str, int, str, int | None], ...]
    # (modality, description, frequency, who: "primary" | "prescriber" | "nurse")
    interventions: tuple[tuple[str, str, str, str], ...]


GOALS = {
    "alcohol": GoalTemplate(
        "Achieve and maintain abstinence from alcohol and reduce the risk of relapse.",
        ("I want to stop drinking so I can keep my job.", "I don't want my kids to see me drunk again.",
         "I want to wake up and remember the night before."),
        (("Abstinent from alcohol for 4 consecutive weeks, confirmed by breath tests and self-report", 5, "", None),
         ("Craving at or below 3 on the weekly craving scale", 6, "Craving", 3)),
        (("cbt", "Relapse-prevention CBT in group: triggers, cravings, refusal skills", "3 group blocks a week",
          "primary"),
         ("medication", "Evaluate for naltrexone; monitor adherence and side effects", "Monthly", "prescriber")),
    ),
    "opioid": GoalTemplate(
        "Stabilise on medication for opioid use disorder and stop illicit opioid use.",
        ("I want to stop chasing pills every day.", "I want to be around for my daughter.",
         "I'm tired of being sick all the time."),
        (("Takes buprenorphine as prescribed with no missed doses for 4 weeks", 4, "", None),
         ("Urine drug screens negative for non-prescribed opioids for 6 consecutive weeks", 8, "", None),
         ("Carries naloxone and can show a family member how to use it", 2, "", None)),
        (("medication", "Buprenorphine maintenance; weekly check-ins for the first month", "Weekly, then monthly",
          "prescriber"),
         ("mi", "Motivational interviewing on ambivalence about stopping", "Weekly individual session",
          "primary")),
    ),
    "cannabis": GoalTemplate(
        "Stop daily cannabis use and build other ways to manage stress and sleep.",
        ("I want to stop smoking every night just to fall asleep.", "I want my motivation back."),
        (("Reduces use from daily to none, tracked in a use log, within 6 weeks", 6, "", None),
         ("Falls asleep without cannabis at least 5 nights a week", 8, "", None)),
        (("cbt", "CBT for cannabis use: functional analysis and sleep routine", "Weekly individual session",
          "primary"),
         ("life_skills", "Sleep hygiene module", "4 sessions", "primary")),
    ),
    "sedative": GoalTemplate(
        "Taper off non-prescribed benzodiazepines safely and learn non-drug anxiety skills.",
        ("I want to feel calm without a pill.", "I don't want to be dependent on anything."),
        (("Completes a supervised taper with no non-prescribed use", 10, "", None),
         ("GAD-7 at or below 9", 8, "GAD-7", 9)),
        (("medication", "Supervised benzodiazepine taper with weekly checks", "Weekly", "prescriber"),
         ("dbt", "Distress-tolerance skills group", "Weekly", "primary")),
    ),
    "stimulant": GoalTemplate(
        "Stop stimulant use and rebuild a daily routine.",
        ("I want to stop losing weekends and paychecks.", "I want my family to trust me again."),
        (("Urine drug screens negative for stimulants for 4 consecutive weeks", 6, "", None),
         ("Keeps a written weekly schedule and follows it 5 of 7 days", 4, "", None)),
        (("cbt", "Contingency-management informed CBT groups", "3 group blocks a week", "primary"),
         ("case_management", "Help with employment and benefits paperwork", "Every 2 weeks", "primary")),
    ),
    "nicotine": GoalTemplate(
        "Cut down and quit smoking.",
        ("I'd like to quit smoking too while I'm at it.", "I want to breathe better when I walk my dog."),
        (("Sets a quit date and uses nicotine replacement daily", 3, "", None),
         ("Smokes fewer than 5 cigarettes a day", 8, "", None)),
        (("medication", "Nicotine replacement therapy (patch and gum)", "Monthly review", "prescriber"),),
    ),
    "depression": GoalTemplate(
        "Reduce depressive symptoms and return to daily activities.",
        ("I want to get out of bed and actually want to do things.", "I want to feel like myself again.",
         "I want to go back to work."),
        (("PHQ-9 at or below 9", 8, "PHQ-9", 9),
         ("Schedules and completes 3 pleasant or valued activities a week", 4, "", None)),
        (("cbt", "Behavioural activation and thought records in group and individually",
          "Group blocks plus weekly individual", "primary"),
         ("medication", "Antidepressant review and adjustment", "Every 4 weeks", "prescriber")),
    ),
    "anxiety": GoalTemplate(
        "Reduce worry and anxiety so they no longer get in the way of work and home.",
        ("I want to stop worrying about everything all the time.", "I want to sleep without my mind racing."),
        (("GAD-7 at or below 9", 8, "GAD-7", 9),
         ("Uses a breathing or grounding skill when anxious at least 4 days a week", 4, "", None)),
        (("cbt", "CBT for worry: worry time, cognitive restructuring", "Weekly individual session", "primary"),
         ("mindfulness", "Mindfulness practice in group", "Twice a week", "primary")),
    ),
    "panic": GoalTemplate(
        "Reduce panic attacks and avoidance.",
        ("I want to be able to ride the bus again.", "I want to stop going to the ER thinking I'm dying."),
        (("Panic attacks down to one a week or fewer", 6, "", None),
         ("Completes 5 steps of the exposure hierarchy", 8, "", None)),
        (("cbt", "Interoceptive and situational exposure", "Weekly individual session", "primary"),),
    ),
    "ptsd": GoalTemplate(
        "Reduce trauma symptoms (nightmares, hypervigilance, avoidance) and increase safety.",
        ("I want to sleep through the night without nightmares.", "I want to feel safe in my own home."),
        (("Uses a grounding skill during flashbacks, noted in the skills log, 4 of 7 days", 4, "", None),
         ("Nightmares reduced to 2 nights a week or fewer", 8, "", None)),
        (("emdr", "Trauma-focused therapy once stabilisation skills are in place", "Weekly individual session",
          "primary"),
         ("dbt", "Distress-tolerance and grounding skills", "Weekly group", "primary")),
    ),
    "adjustment": GoalTemplate(
        "Cope with the recent changes at home and school.",
        ("I want to stop fighting with everyone.", "I want to feel normal at school again."),
        (("PHQ-9 at or below 9", 6, "PHQ-9", 9),
         ("Names 3 coping skills and uses one daily, per the skills diary", 3, "", None)),
        (("family", "Family sessions on communication and routines", "Every week", "primary"),),
    ),
    "bipolar": GoalTemplate(
        "Keep mood stable and recognise early signs of episodes.",
        ("I want to stop crashing after my good weeks.", "I want to keep my apartment and my job."),
        (("Completes a daily mood chart 6 of 7 days", 3, "", None),
         ("Sleeps 7 or more hours at least 5 nights a week", 6, "", None)),
        (("medication", "Mood-stabiliser management with level checks", "Every 2 weeks", "prescriber"),
         ("psychoeducation", "Psychoeducation on early warning signs and routines", "Weekly", "primary")),
    ),
    "bpd": GoalTemplate(
        "Reduce self-harm urges and emotional crises; improve relationships.",
        ("I want to stop blowing up my relationships.", "I want to handle bad days without hurting myself."),
        (("No self-harm for 6 consecutive weeks, tracked on diary cards", 6, "", None),
         ("Uses a distress-tolerance skill before acting on an urge, per diary cards, 5 of 7 days", 4, "", None)),
        (("dbt", "DBT skills group and diary-card review", "Twice a week", "primary"),),
    ),
    "ocd": GoalTemplate(
        "Reduce time spent on obsessions and compulsions.",
        ("I want to leave the house without checking the stove ten times.",),
        (("Compulsions down to under one hour a day", 8, "", None),),
        (("cbt", "Exposure and response prevention", "Weekly individual session", "primary"),),
    ),
    "insomnia": GoalTemplate(
        "Restore a regular sleep pattern.",
        ("I just want to sleep.", "I want to stop lying awake until 3 am."),
        (("Sleeps 6 or more hours on 5 nights a week, per the sleep diary", 6, "", None),),
        (("life_skills", "Sleep hygiene module and CBT-I techniques", "4 sessions", "primary"),),
    ),
    "social_anxiety": GoalTemplate(
        "Reduce social anxiety and avoidance.",
        ("I want to be able to speak up in group.", "I want to make one real friend."),
        (("Speaks up at least once in every group", 4, "", None),),
        (("cbt", "Graded exposure to social situations", "Weekly", "primary"),),
    ),
    "adhd": GoalTemplate(
        "Improve focus and follow-through at school and home.",
        ("I want to stop getting in trouble for missing homework.", "I want to finish what I start."),
        (("Hands in 80% of homework on time, per the school planner", 6, "", None),),
        (("medication", "Stimulant medication review with parent and school feedback", "Monthly", "prescriber"),
         ("life_skills", "Planner and routine coaching", "Weekly", "primary")),
    ),
    "odd": GoalTemplate(
        "Reduce arguments and rule-breaking at home and school.",
        ("I want my parents to get off my back.", "I want to stop getting detentions."),
        (("No more than one major argument a week at home, per the parent's log", 6, "", None),),
        (("family", "Parent-teen communication and agreed house rules", "Weekly family session", "primary"),),
    ),
}
GOAL_BY_CODE_PREFIX = (
    ("F10", "alcohol"), ("F11", "opioid"), ("F12", "cannabis"), ("F13", "sedative"), ("F14", "stimulant"),
    ("F15", "stimulant"), ("F17", "nicotine"), ("F32", "depression"), ("F33", "depression"),
    ("F34", "depression"), ("F41.1", "anxiety"), ("F41.0", "panic"), ("F43.1", "ptsd"), ("F43.2", "adjustment"),
    ("F31", "bipolar"), ("F60.3", "bpd"), ("F42", "ocd"), ("F51", "insomnia"), ("F40.1", "social_anxiety"),
    ("F90", "adhd"), ("F91", "odd"),
)
# Recovery-environment problems for the substance-use programs (ASAM dimension 5).
RECOVERY_ENVIRONMENT = (
    ("Recovery environment: few sober supports; most friends still use.",
     GoalTemplate("Build a sober support network.",
                  ("I need people in my life who don't drink or use.", "I want friends I don't have to hide from."),
                  (("Attends 2 mutual-help meetings a week and has a sponsor's number", 4, "", None),),
                  (("twelve_step", "12-step facilitation; link to a home group", "Weekly", "primary"),))),
    ("Recovery environment: money and work stress; payday has been a pattern of use.",
     GoalTemplate("Manage money and work stress without using.",
                  ("Payday is when it all goes wrong.", "I want to pay my rent on time for once."),
                  (("Follows a written budget for 4 consecutive paydays", 8, "", None),),
                  (("life_skills", "Money management and payday planning modules", "Weekly class", "primary"),
                   ("case_management", "Help opening a bank account with automatic bill pay", "Twice", "primary")))),
    ("Recovery environment: lives with a partner who drinks.",
     GoalTemplate("Make home a place that supports recovery.",
                  ("I want us to have a house with no alcohol in it.",),
                  (("Partner attends 2 family sessions", 6, "", None),),
                  (("family", "Family sessions on boundaries and communication", "Every 2 weeks", "primary"),))),
)

# Weekly service mixes, within each program's band: (service, sessions, minutes, every_weeks).
SERVICE_MIXES = {
    "sud": (
        ((Service.GROUP, 3, 180, 1), (Service.INDIVIDUAL, 1, 60, 1), (Service.FAMILY, 1, 60, 2),
         (Service.MEDICATION, 1, 30, 4), (Service.DRUG_SCREEN, 1, 15, 1)),
        ((Service.GROUP, 3, 180, 1), (Service.INDIVIDUAL, 1, 60, 1), (Service.PSYCHOEDUCATION, 1, 60, 1),
         (Service.DRUG_SCREEN, 2, 15, 1)),
    ),
    "cod": (
        ((Service.GROUP, 3, 180, 1), (Service.INDIVIDUAL, 1, 60, 1), (Service.MEDICATION, 1, 30, 2),
         (Service.DRUG_SCREEN, 1, 15, 1)),
        ((Service.GROUP, 3, 180, 1), (Service.INDIVIDUAL, 1, 60, 1), (Service.CASE_MANAGEMENT, 1, 60, 2),
         (Service.MEDICATION, 1, 30, 4), (Service.DRUG_SCREEN, 1, 15, 1)),
    ),
    "mh": (
        ((Service.GROUP, 4, 180, 1), (Service.INDIVIDUAL, 1, 60, 1), (Service.MEDICATION, 1, 30, 4)),
        ((Service.GROUP, 4, 180, 1), (Service.INDIVIDUAL, 1, 60, 1), (Service.FAMILY, 1, 60, 2),
         (Service.MEDICATION, 1, 30, 2)),
    ),
    "adolescent": (
        ((Service.GROUP, 3, 180, 1), (Service.INDIVIDUAL, 1, 60, 1), (Service.FAMILY, 1, 60, 1),
         (Service.MEDICATION, 1, 30, 4)),
        ((Service.GROUP, 3, 180, 1), (Service.FAMILY, 1, 90, 1), (Service.MEDICATION, 1, 30, 4)),
    ),
}


# --- relapse-prevention content -----------------------------------------------------------


# (text in the patient's words, curriculum module title or "")
SUBSTANCE_TRIGGERS = {
    TriggerCategory.PEOPLE: (("My old friends from the block who still use", "Boundaries"),
                             ("Arguments with my brother", "Communication"),
                             ("Coworkers who go out drinking after a shift", "High-risk situations")),
    TriggerCategory.PLACES: (("The bar on the way home from work", "High-risk situations"),
                             ("Driving past my old dealer's street", "Identifying triggers"),
                             ("The liquor aisle at the grocery store", "Coping with cravings")),
    TriggerCategory.SITUATIONS: (("Payday weekends", "Money management"),
                                 ("Bills piling up at the end of the month", "Budgeting and payday planning"),
                                 ("Job interviews that go nowhere", "Job search"),
                                 ("Family parties where everyone drinks", "High-risk situations")),
    TriggerCategory.FEELINGS: (("Feeling lonely or left out", "Emotion regulation"),
                               ("Anger after a bad day", "Emotion regulation"),
                               ("Shame after a slip", "Distress tolerance"),
                               ("Boredom on days off", "Coping with cravings")),
    TriggerCategory.TIMES: (("Friday nights after work", "Identifying triggers"),
                            ("Late at night when I can't sleep", "Sleep hygiene"),
                            ("Sunday afternoons when the game is on", "High-risk situations")),
}
MOOD_TRIGGERS = {
    TriggerCategory.PEOPLE: (("Criticism from my mother", "Communication"), ("Seeing my ex", "Boundaries")),
    TriggerCategory.PLACES: (("Crowded stores", "Distress tolerance"),
                             ("My bedroom after I've stayed in all day", "Sleep hygiene")),
    TriggerCategory.SITUATIONS: (("Money worries at the end of the month", "Budgeting and payday planning"),
                                 ("Conflict at work", "Communication"),
                                 ("Being turned down for a job", "Job search")),
    TriggerCategory.FEELINGS: (("Hopelessness that creeps in on Sundays", "Emotion regulation"),
                               ("Feeling overwhelmed by small tasks", "Distress tolerance")),
    TriggerCategory.TIMES: (("Late at night", "Sleep hygiene"),
                            ("Winter afternoons when it gets dark early", "Emotion regulation"),
                            ("Anniversaries of losses", "Identifying triggers")),
}
TEEN_TRIGGERS = {
    TriggerCategory.PEOPLE: (("Arguments with my parents", "Communication"),
                             ("Friends who vape or smoke weed", "Boundaries")),
    TriggerCategory.PLACES: (("The bus ride to school", "Distress tolerance"),
                             ("Parties at my friend's house", "High-risk situations")),
    TriggerCategory.SITUATIONS: (("Tests and report cards", "Distress tolerance"),
                                 ("Group chats that turn mean", "Emotion regulation")),
    TriggerCategory.FEELINGS: (("Feeling left out", "Emotion regulation"), ("Getting really angry fast", "Emotion regulation")),
    TriggerCategory.TIMES: (("Sunday nights before school", "Identifying triggers"),
                            ("Late at night on my phone", "Sleep hygiene")),
}
WARNING_SIGNS = (
    "Skipping meals and staying up late", "Not answering texts from my sister", "Thinking 'just one won't hurt'",
    "Skipping group or showing up late", "Snapping at my family", "Stopping my medication",
    "Lying about small things", "Staying in bed past noon", "Spending money I don't have",
)
# (library strategy name, how the patient uses it, curriculum module title)
COPING = (
    ("Urge surfing", "Set a 20-minute timer and watch the craving rise and fall", "Coping with cravings"),
    ("Call a support person", "Text my sponsor before I get in the car", "Coping with cravings"),
    ("Attend a meeting", "The 6 pm meeting at St. Mary's, or one online", "Identifying triggers"),
    ("Play the tape through", "Picture tomorrow morning if I use tonight", "Coping with cravings"),
    ("Delay and distract", "Make tea, take a shower, wait it out", "Coping with cravings"),
    ("Mindfulness", "Five minutes with the breathing app when my thoughts race", "Emotion regulation"),
    ("Thought record", "Write it down in the notebook from group", "Emotion regulation"),
    ("DBT distress-tolerance skills", "Cold water on my face and the 5-4-3-2-1 exercise", "Distress tolerance"),
    ("DBT emotion-regulation skills", "Check the facts before I react", "Emotion regulation"),
    ("Exercise", "Walk the dog around the park", ""),
    ("Sleep and meals on schedule", "Phone off at 11, breakfast every day", "Sleep hygiene"),
)
SUBSTANCE_COPING = ("Urge surfing", "Call a support person", "Attend a meeting", "Play the tape through",
                    "Delay and distract", "Exercise")
MOOD_COPING = ("Mindfulness", "Thought record", "DBT distress-tolerance skills", "DBT emotion-regulation skills",
               "Exercise", "Sleep and meals on schedule", "Call a support person")
# (situation, concrete plan, curriculum module title)
HIGH_RISK = {
    "substance": (
        ("My cousin's wedding next month", ("Drive myself so I can leave; hold a soda all night; leave before the "
         "toasts; text my sponsor when I arrive and when I leave."), "High-risk situations"),
        ("Payday Friday", "Direct deposit goes to savings first; carry only $40; go straight to the 6 pm meeting.",
         "Budgeting and payday planning"),
        ("Watching the game at my brother's", ("Ask him for an alcohol-free game night, or watch at home with my "
         "partner."), "High-risk situations"),
        ("Thanksgiving at my parents'", "Bring my own drinks, sit with my aunt who doesn't drink, leave by 7 pm.",
         "Boundaries"),
    ),
    "mood": (
        ("The anniversary of my dad's death", ("Plan the day with my sister, visit in the morning, call the "
                                              "program if it gets heavy."), "Distress tolerance"),
        ("My performance review at work", "Write down three things I did well; schedule a walk right after.",
         "Emotion regulation"),
        ("The holidays alone", "Sign up for the drop-in group and plan two phone calls.", "Identifying triggers"),
    ),
    "teen": (
        ("Parties where people vape", "Go with a friend who doesn't; parent picks me up at 10.",
         "High-risk situations"),
        ("Finals week", "Study plan with my school counselor; phone stays downstairs after 10.", "Sleep hygiene"),
    ),
}
SUPPORT_PEOPLE = (
    ("Sponsor", True), ("Sister", True), ("Partner", True), ("Friend from group", False), ("Brother", False),
    ("Pastor", True), ("Coworker in recovery", False),
)
TEEN_SUPPORT_PEOPLE = (("Mom", True), ("School counselor", True), ("Grandmother", True), ("Coach", False))
REASONS_FOR_RECOVERY = (
    "My kids. I want them to have a parent who shows up.",
    "I want to keep my job and get my license back.",
    "I want to feel like myself again and stop hiding.",
    "My health: my doctor said my liver can't take much more.",
    "I want to finish school and move out on my own one day.",
    "My partner stayed with me through all of this. I want to be someone she can count on.",
    "I want to go back to painting. I haven't picked up a brush in two years.",
)


# --- the step -----------------------------------------------------------------------------


def build_plans(ctx) -> None:
    """Treatment and relapse-prevention plans for every current episode (see the module)."""
    builder = PlanBuilder(ctx=ctx, rng=Random(f"{ctx.seed}-plans"), today=ctx.today,
                          modules=create_curriculum_modules(ctx))
    make_counselor_an_associate(ctx)
    episodes = list(
        EpisodeOfCare.objects.filter(patient__organization=ctx.organization, status__in=queries.CURRENT_STATUSES)
        .select_related("patient", "program").order_by("id")
    )
    stories = choose_stories(ctx, episodes, builder.rng)
    for episode in episodes:
        builder.tell(episode, stories[episode.pk])
    tasks = plans.check_overdue(today=ctx.today, actor=None)
    ctx.report(f"Building demo clinic: plans for {len(episodes)} current patients ({tasks} overdue tasks)")


def create_curriculum_modules(ctx) -> dict[str, CurriculumModule]:
    modules = {}
    for topic_area, titles in data.CURRICULUM_MODULES:
        for title in titles:
            modules[title] = CurriculumModule.objects.create(
                organization=ctx.organization, topic_area=topic_area, title=title)
    return modules


def make_counselor_an_associate(ctx) -> None:
    """The second SUD counselor holds an associate licence: her plans need the director's co-signature."""
    counselor, director = ctx.staff.get(COSIGNING_COUNSELOR), ctx.staff.get(SUPERVISOR)
    if counselor is None or director is None:
        return
    counselor.requires_cosignature = True
    counselor.supervisor = director
    counselor.save(update_fields=["requires_cosignature", "supervisor"])


def primary_of(episode):
    return (queries.primary_clinicians(episode) or [None])[0]


def choose_stories(ctx, episodes, rng) -> dict[int, str]:
    """Decide which episode tells which story. Deterministic for a seed."""
    today = ctx.today
    portal_id = ctx.portal_patient.pk if ctx.portal_patient else None
    stories, rest = {}, []
    for episode in episodes:
        if episode.patient_id == portal_id:
            stories[episode.pk] = PORTAL
        elif episode.admitted_on + dt.timedelta(days=episode.program.plan_due_days) >= today:
            stories[episode.pk] = DRAFT
        else:
            rest.append(episode)

    def days(episode):
        return (today - episode.admitted_on).days

    def take(story, candidates, count):
        for episode in candidates[:count]:
            stories[episode.pk] = story
            rest.remove(episode)

    # The two most recent admissions past the window: the plan is late.
    take(LATE_DRAFT, sorted(rest, key=days), 2)
    counselor = ctx.staff.get(COSIGNING_COUNSELOR)
    if counselor is not None:
        take(AWAITING_COSIGN, [e for e in rest if primary_of(e) == counselor and days(e) >= 10], 1)
    take(STEP_DOWN, [e for e in rest if e.program.code == "mh-morning" and days(e) >= 35], 1)
    take(STEP_DOWN, [e for e in rest if e.program.code in ("sud-evening", "cod-afternoon") and days(e) >= 35], 1)
    take(LEVEL_CHANGE, [e for e in rest if e.level_of_care == "iop" and e.program.code != "adolescent-afterschool"
                        and 14 <= days(e) < 50], 1)
    take(REVIEW_OVERDUE, [e for e in rest if days(e) >= 45], 2)
    take(REVIEW_DUE_SOON, [e for e in rest if 30 <= days(e) < 45], 2)
    take(AWAITING_PATIENT, [e for e in rest if days(e) >= 10], 2)
    for episode in rest:
        stories[episode.pk] = SIGNED
    return stories


@dataclass
class PlanBuilder:
    ctx: object
    rng: object
    today: dt.date
    modules: dict[str, CurriculumModule]

    def tell(self, episode, story) -> None:
        clinician = primary_of(episode)
        treatment = Plan.objects.get(episode=episode, kind=PlanKind.TREATMENT)
        relapse = Plan.objects.get(episode=episode, kind=PlanKind.RELAPSE_PREVENTION)
        complete = story not in (DRAFT, LATE_DRAFT)
        draft = plans.start_revision(actor=clinician, plan=treatment)
        goal_keys = self.write_treatment(episode, draft, clinician, complete=complete)
        rp_draft = plans.start_revision(actor=clinician, plan=relapse)
        self.write_relapse_prevention(episode, rp_draft, clinician, goal_keys, complete=complete)
        if not complete:
            return
        self.sign(episode, draft, clinician, by_patient=story not in (AWAITING_PATIENT, PORTAL),
                  cosign=story != AWAITING_COSIGN)
        self.sign(episode, rp_draft, clinician, by_patient=story != PORTAL, cosign=True)
        if story == PORTAL:
            self.portal_story(episode, treatment, relapse, clinician)
        else:
            self.review_history(episode, treatment, clinician, story)

    # Writing -------------------------------------------------------------------------------

    def write_treatment(self, episode, draft, clinician, *, complete: bool) -> list[str]:
        """Goals, objectives and interventions for each prefilled problem, a recovery-environment
        problem in the substance-use programs, and the program's service mix. An unfinished draft
        stops after the first goal (no objectives yet), which is what signing will name."""
        rng, key = self.rng, program_key(episode)
        problems = list(draft.problems.select_related("diagnosis"))
        templates, seen = [], set()
        for problem in problems:
            name = goal_for(problem.diagnosis.icd10_code) if problem.diagnosis else None
            if name and name not in seen:  # e.g. two depressive diagnoses share one goal
                seen.add(name)
                templates.append((problem, GOALS[name]))
        if key in SUBSTANCE_KINDS:
            statement, template = rng.choice(RECOVERY_ENVIRONMENT)
            problem = plans.save_item(actor=clinician, version=draft, part="problem", statement=statement,
                                      asam_dimension="d5")
            templates.append((problem, template))
        goal_keys = []
        for index, (problem, template) in enumerate(templates):
            goal = plans.save_item(actor=clinician, version=draft, part="goal", problem=problem,
                                   clinical_text=template.clinical, patient_words=rng.choice(template.patient_words))
            goal_keys.append(goal.key)
            if not complete and index == 0:
                break
            for text, weeks, code, target in template.objectives:
                plans.save_item(actor=clinician, version=draft, part="objective", goal=goal, text=text,
                                target_date=episode.admitted_on + dt.timedelta(weeks=weeks),
                                measure_code=code, measure_target=target)
            for modality, description, frequency, who in template.interventions:
                plans.save_item(actor=clinician, version=draft, part="intervention", goal=goal, modality=modality,
                                description=description, frequency=frequency,
                                responsible=self.responsible(episode, who, clinician))
        self.set_service_mix(draft, clinician, rng.choice(SERVICE_MIXES[key]))
        return goal_keys

    def responsible(self, episode, who, clinician):
        if who == "prescriber":
            member = CareTeamMember.objects.filter(episode=episode, role=CareTeamRole.PRESCRIBER,
                                                   end_date__isnull=True).select_related("user").first()
            return member.user if member else clinician
        return clinician

    def set_service_mix(self, draft, clinician, mix) -> None:
        """Replace the default lines with the chosen mix (changing lines of the same service)."""
        existing = {line.service: line for line in draft.service_lines.all()}
        for service, sessions, minutes, every_weeks in mix:
            plans.save_item(actor=clinician, version=draft, part="service_line", item=existing.pop(service, None),
                            service=service, sessions=sessions, minutes=minutes, every_weeks=every_weeks)
        for line in existing.values():
            plans.remove_item(actor=clinician, item=line)

    def write_relapse_prevention(self, episode, draft, clinician, goal_keys, *, complete: bool) -> None:
        rng, key = self.rng, program_key(episode)
        flavour = "substance" if key in SUBSTANCE_KINDS else "teen" if key == "adolescent" else "mood"
        triggers = {"substance": SUBSTANCE_TRIGGERS, "teen": TEEN_TRIGGERS, "mood": MOOD_TRIGGERS}[flavour]
        main_goal = goal_keys[0] if goal_keys else ""
        categories = list(TriggerCategory) if complete else [TriggerCategory.PEOPLE, TriggerCategory.SITUATIONS]
        for category in categories:
            for text, module in rng.sample(triggers[category], min(len(triggers[category]), rng.choice((1, 1, 2)))):
                self.rp_item(draft, clinician, kind=RPItemKind.TRIGGER, text=text, category=category,
                             goal_key=main_goal, curriculum_module=self.modules.get(module))
        if not complete:
            return
        for text in rng.sample(WARNING_SIGNS, 3):
            self.rp_item(draft, clinician, kind=RPItemKind.WARNING_SIGN, text=text)
        library = {strategy.name: strategy for strategy in CopingStrategy.objects.filter(organization=None)}
        names = SUBSTANCE_COPING if flavour == "substance" else MOOD_COPING
        chosen = [c for c in COPING if c[0] in names]
        for name, text, module in rng.sample(chosen, 3):
            self.rp_item(draft, clinician, kind=RPItemKind.COPING, text=text, coping_strategy=library.get(name),
                         goal_key=rng.choice(goal_keys) if goal_keys else "", curriculum_module=self.modules.get(module))
        for situation, plan_text, module in rng.sample(HIGH_RISK[flavour], 2):
            self.rp_item(draft, clinician, kind=RPItemKind.HIGH_RISK, text=situation, plan_text=plan_text,
                         goal_key=main_goal, curriculum_module=self.modules.get(module))
        people = TEEN_SUPPORT_PEOPLE if flavour == "teen" else SUPPORT_PEOPLE
        for relationship, sharing in rng.sample(people, rng.choice((1, 2, 2))):
            self.rp_item(draft, clinician, kind=RPItemKind.SUPPORT, text="Call or text when things get hard.",
                         name=self.ctx.fake.name(), relationship=relationship, phone=fictional_phone(self.ctx),
                         patient_allows_sharing=sharing)
        plans.update_draft(actor=clinician, version=draft, reasons_for_recovery=rng.choice(REASONS_FOR_RECOVERY))

    def rp_item(self, draft, clinician, **fields):
        fields = {name: value for name, value in fields.items() if value is not None}
        return plans.save_item(actor=clinician, version=draft, part="rp_item", **fields)

    # Signing and reviewing -------------------------------------------------------------------

    def sign(self, episode, version, clinician, *, by_patient: bool, cosign: bool, on: dt.date | None = None) -> None:
        """Signed on `on` (default: a few days after admission), so review dates read true."""
        moment = self.moment(on or min(episode.admitted_on + dt.timedelta(days=3), self.today))
        plans.sign_version(actor=clinician, version=version, signed_at=moment)
        if cosign and clinician.requires_cosignature and clinician.supervisor_id:
            plans.cosign(actor=clinician.supervisor, version=version)
        if by_patient:
            plans.sign_as_patient(actor=clinician, version=version, typed_name=episode.patient.legal_name,
                                  method=SignatureMethod.CLINIC_SCREEN, signed_at=moment)

    def moment(self, day: dt.date) -> dt.datetime:
        at = timezone.make_aware(dt.datetime.combine(day, dt.time(15, 0)))
        return min(at, timezone.now())

    def review_history(self, episode, plan, clinician, story) -> None:
        """Reviews on the 30-day cadence from admission, bent to what the story needs."""
        dates = review_dates(episode.admitted_on, self.today)
        if story == REVIEW_OVERDUE:
            dates = [self.today - dt.timedelta(days=self.rng.randint(33, 40))]
        elif story == REVIEW_DUE_SOON:
            dates = [self.today - dt.timedelta(days=self.rng.randint(24, 27))]
        elif story == STEP_DOWN:
            dates = [self.today - dt.timedelta(days=self.rng.randint(2, 6))]
        for index, reviewed_on in enumerate(dates):
            last = index == len(dates) - 1
            self.review(episode, plan, clinician, reviewed_on, step_down=story == STEP_DOWN and last)
        if story == LEVEL_CHANGE:
            care.change_level_of_care(
                actor=clinician, episode=episode, to_level="op", changed_on=self.today,
                reason="Stable for four weeks and back at work full time; stepping down to outpatient. "
                       "The plan's service mix is reviewed with the patient this week.")

    def review(self, episode, plan, clinician, reviewed_on, *, step_down=False) -> None:
        version = queries.current_version(plan)
        progress = {}
        for objective in version.objectives.all():
            status = (ProgressStatus.MET if step_down or objective.target_date <= reviewed_on
                      else self.rng.choice((ProgressStatus.PROGRESSING, ProgressStatus.PROGRESSING,
                                            ProgressStatus.NOT_PROGRESSING)))
            progress[objective.pk] = (status, PROGRESS_NOTES[status])
        groups = version.service_lines.filter(service=Service.GROUP).values_list("sessions", flat=True).first() or 3
        reason = (f"Review of {reviewed_on:%d %b}: stepping down from {groups} to {fewer_groups(groups)} group "
                  "blocks a week; objectives met, ready for less intensity before discharge.")
        review = plans.record_review(
            actor=clinician, plan=plan, reviewed_on=reviewed_on, progress=progress,
            summary=self.rng.choice(STEP_DOWN_SUMMARIES if step_down else REVIEW_SUMMARIES),
            reason=ReviewReason.SCHEDULED, relapse_prevention_reviewed=True,
            revise=step_down, revision_reason=reason if step_down else "",
        )
        if step_down:
            self.step_down(episode, review.revision, clinician, on=reviewed_on)

    def step_down(self, episode, draft, clinician, *, on: dt.date) -> None:
        """One fewer group block a week (down to two where the program ran three); a reason where
        the new hours fall below the program's band."""
        group = draft.service_lines.get(service=Service.GROUP)
        plans.save_item(actor=clinician, version=draft, part="service_line", item=group,
                        sessions=fewer_groups(group.sessions))
        if plans.hours_problem(draft):
            plans.update_draft(actor=clinician, version=draft, hours_override_reason=(
                "Step-down before discharge: objectives met, four weeks abstinent; two group blocks and "
                "weekly individual therapy for the last weeks of the program."))
        self.sign(episode, draft, clinician, by_patient=True, cosign=True, on=on)

    def portal_story(self, episode, treatment, relapse, clinician) -> None:
        """The `patient` login: a revised treatment plan to sign in the portal, a signed
        relapse-prevention plan they signed in the portal, and proposals in three states."""
        patient_user = self.ctx.staff.get("patient")
        dates = review_dates(episode.admitted_on, self.today)
        if dates:
            # Their first version was signed together in the clinic; the review revised it.
            version = queries.current_version(treatment)
            plans.sign_as_patient(actor=clinician, version=version, typed_name=episode.patient.legal_name,
                                  method=SignatureMethod.CLINIC_SCREEN)
            progress = {o.pk: (ProgressStatus.PROGRESSING, PROGRESS_NOTES[ProgressStatus.PROGRESSING])
                        for o in version.objectives.all()}
            review = plans.record_review(
                actor=clinician, plan=treatment, reviewed_on=dates[-1], progress=progress,
                summary="Attending every group, craving lower. Payday is still the hardest day; adding the "
                        "money-management class.", relapse_prevention_reviewed=True, revise=True,
                revision_reason="Review: adding the weekly money-management class.")
            plans.save_item(actor=clinician, version=review.revision, part="intervention",
                            goal=review.revision.goals.first(), modality="life_skills",
                            description="Money management and payday planning modules", frequency="Weekly class",
                            responsible=clinician)
            plans.sign_version(actor=clinician, version=review.revision, signed_at=self.moment(dates[-1]))
        if patient_user is None:
            return
        rp_version = queries.current_version(relapse)
        plans.sign_as_patient(actor=patient_user, version=rp_version, typed_name=episode.patient.legal_name,
                              method=SignatureMethod.PORTAL)
        added = plans.propose_change(actor=patient_user, plan=relapse, kind=RPItemKind.SUPPORT,
                                     text="She said I can call her any time after 5.", name=self.ctx.fake.name(),
                                     relationship="Cousin", phone=fictional_phone(self.ctx))
        item = plans.accept_proposal(actor=clinician, proposal=added)
        rp_revision = item.version
        plans.sign_version(actor=clinician, version=rp_revision)
        plans.sign_as_patient(actor=patient_user, version=rp_revision, typed_name=episode.patient.legal_name,
                              method=SignatureMethod.PORTAL)
        talk = plans.propose_change(actor=patient_user, plan=relapse, kind=RPItemKind.COPING,
                                    text="Have one beer at dinner so I don't feel left out")
        plans.discuss_proposal(actor=clinician, proposal=talk, response=(
            "Thank you for being honest about this. Let's talk it through at your next session: what "
            "happens after the first drink, and what else helps you feel included at dinner."))
        plans.propose_change(actor=patient_user, plan=relapse, kind=RPItemKind.TRIGGER,
                             text="Seeing the delivery truck from the liquor store on our street")


PROGRESS_NOTES = {
    ProgressStatus.MET: "Met: confirmed in session and in the records.",
    ProgressStatus.PROGRESSING: "Progressing: most weeks on track.",
    ProgressStatus.NOT_PROGRESSING: "Not yet: barriers discussed; kept for the next period.",
    ProgressStatus.REVISED: "Revised.",
}
REVIEW_SUMMARIES = (
    "Attending consistently; engaged in group. Cravings lower than at admission. Continue the current plan.",
    ("Mixed month: missed two groups for work, one lapse disclosed and discussed. Plan continues; "
    "relapse-prevention plan updated with the lapse's triggers."),
    "Mood improving on the measures; using skills between sessions. Continue; revisit intensity next review.",
    "Slow progress; transport problems. Case management arranging rides. Continue the current plan.",
)
STEP_DOWN_SUMMARIES = (
    ("Objectives met: four weeks abstinent, craving low, attending every session. Patient and team agree to "
    "step down the group blocks ahead of discharge."),
    "PHQ-9 below 10 for three weeks and back at work part time. Stepping down to fewer group blocks.",
)


def fewer_groups(sessions: int) -> int:
    """A step-down: one block fewer, and never below two."""
    return max(2, sessions - 1)


def program_key(episode) -> str:
    code = episode.program.code
    return next((spec.key for spec in data.PROGRAMS if spec.code == code), "sud")


def goal_for(code: str) -> str | None:
    return next((goal for prefix, goal in GOAL_BY_CODE_PREFIX if code.startswith(prefix)), None)


def review_dates(admitted_on: dt.date, today: dt.date) -> list[dt.date]:
    """Every 30 days from admission, up to yesterday."""
    dates, day = [], admitted_on + dt.timedelta(days=REVIEW_EVERY_DAYS)
    while day < today:
        dates.append(day)
        day += dt.timedelta(days=REVIEW_EVERY_DAYS)
    return dates


def fictional_phone(ctx) -> str:
    from openiop.demo.loader import fictional_phone as phone

    return phone(ctx)
