"""The demo clinic's clinical notes, written after attendance (openiop/demo/attendance.py).

For the past eight weeks: each group session with members present gets one group note (the
shared part, then each present member's own part, linking objectives from that member's own
signed treatment plan), and each attended individual, family or medication-management session
gets its note. Almost all are signed by their author a few hours after the session; the
associate counselor's notes wait for the director's co-signature, most of them already
co-signed; a few signed notes carry an addendum. Some notes stay unsigned: a handful more than
24 hours old (the compliance list and the authors' tasks), and the last day's (still in time),
and a few of the last sessions have no note yet (the clinician's "notes to write").

Everything is written through the documentation services, deterministic from `ctx.rng`
(sessions in time order, members in roster order). The phrases are plain and generic: they never
name a patient, so no note carries another member's name.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone

from openiop.attendance.models import ATTENDED_STATUSES, Attendance
from openiop.documentation import rules, services
from openiop.documentation.models import GroupNote, Note
from openiop.scheduling.models import Session, SessionKind, SessionStatus
from openiop.scheduling.rules import week_of

WEEKS = 8
# Drafts left unsigned although older than the 24-hour limit (group notes, one-to-one notes).
OVERDUE_GROUP_DRAFTS, OVERDUE_NOTE_DRAFTS = 2, 4
# Sessions ended this recently are still being written: some drafts, some not started.
RECENT_HOURS = 20
COSIGNED_SHARE = 0.75
ADDENDUM_SHARE = 0.03

INTERVENTIONS = {
    "process": ("Facilitated process discussion; reflective listening; peer feedback.",
                "Check-in round, open process, feedback on interpersonal patterns."),
    "skills": ("Taught and rehearsed the skill; worksheet; practice in pairs.",
               "Skills teaching with role play and homework review."),
    "psychoeducation": ("Psychoeducation with handout; group discussion; goal setting.",),
    "relapse_prevention": ("Relapse-prevention psychoeducation; trigger mapping; refusal-skills role play.",
                           "Reviewed high-risk situations; coping-plan rehearsal."),
    "family_education": ("Family education on the recovery process; communication practice.",),
    "twelve_step": ("12-step facilitation: step discussion, meeting planning, sponsor roles.",),
    "mindfulness": ("Guided breathing and body scan; gentle movement; debrief.",),
}
SUMMARIES = (
    "The group reviewed the week and worked on {topic}. Members practised the skill in pairs and set one goal each.",
    "Discussion centred on {topic}. Members shared examples from the week and gave each other feedback.",
    "The session introduced {topic}, with a worksheet and practice. Homework was agreed for the next session.",
    "Members explored {topic} and linked it to their own plans. The group closed with a short grounding exercise.",
)
PARTICIPATION = ("Engaged throughout; shared an example from the week.", "Participated when invited; listened attentively.",
                 "Active; offered supportive feedback to peers.", "Quiet at first, more engaged in the pairs exercise.",
                 "Shared openly about a difficult week.", "Attentive; completed the worksheet.")
MOOD = ("Euthymic, full range of affect.", "Mildly anxious, affect congruent.", "Tired but engaged; affect bright at times.",
        "Low mood reported; affect constricted.", "Calm, reactive affect.")
PROGRESS = ("Reports using a coping skill daily this week.", "Completed the homework; progress steady.",
            "Identified two new triggers and a plan for each.", "Attendance consistent; applying skills at work.",
            "Some progress; struggled with cravings midweek but used the plan.")
RISK = ("None observed. Denies thoughts of self-harm.", "None observed.",
        "Reports cravings, no use; safety plan reviewed.", "No safety concerns voiced.")
PLAN_NEXT = ("Continue the skill practice and bring the log.", "Practise the exercise daily; review next session.",
             "Attend two mutual-help meetings this week.", "Share the coping plan with a support person.")
FALLBACK_PART = {"participation": "Participated.", "mood_affect": "Euthymic.", "progress": "Steady progress.",
                 "risk_observed": "None observed.", "plan_next": "Continue the plan."}
BODY = {
    "data": ("Reviewed the week, cravings and sleep. Discussed the treatment plan goals.",
             "Explored a recent conflict at home and the thoughts that came with it."),
    "assessment": ("Engaged and insightful; progress on plan objectives is steady.",
                   "Mood improved since last session; coping skills in use."),
    "plan": ("Continue weekly sessions; practise the coping plan daily.", "Next session next week; bring the log."),
    "subjective": ("Reports better sleep and fewer cravings this week.", "Reports stress at work, no use."),
    "objective": ("Alert, oriented, good eye contact; speech normal; affect reactive.",
                  "Calm and cooperative; thought process linear."),
    "behavior": ("Arrived on time, engaged, and open about the week.",),
    "intervention": ("Motivational interviewing; cognitive restructuring of one automatic thought.",),
    "response": ("Receptive; identified an alternative thought and agreed to practise it.",),
}
MEDICATION_BODY = {
    "subjective": "Reports taking medication as prescribed; no side effects of concern.",
    "objective": "Alert, calm, no signs of intoxication or withdrawal.",
    "assessment": "Medication tolerated and helpful; continue.",
    "plan": "Continue the current dose; follow up in four weeks.",
}
ADDENDA = ("Patient called after the session to report sleeping better; no change to the plan.",
           "Correction: the next session is on the other weekday of the series.",
           "Collateral call with the outpatient prescriber completed; the plan stands.")


def build_notes(ctx) -> None:
    """Write the notes of the demo's past eight weeks (run after attendance)."""
    now = timezone.now()
    start = timezone.make_aware(dt.datetime.combine(week_of(ctx.today) - dt.timedelta(weeks=WEEKS), dt.time()))
    attended = Prefetch("attendance", queryset=Attendance.objects.filter(status__in=ATTENDED_STATUSES)
                        .select_related("patient", "episode__program").order_by("pk"), to_attr="attended_rows")
    sessions = list(
        Session.objects.filter(program__organization=ctx.organization, starts_at__gte=start, ends_at__lte=now)
        .exclude(status=SessionStatus.CANCELLED).exclude(kind=SessionKind.DRUG_SCREEN)
        .select_related("group_type", "module", "program").prefetch_related("staff", attended)
        .order_by("starts_at", "pk")
    )
    sessions = [s for s in sessions if s.attended_rows and _author(s)]
    old = [s for s in sessions if s.ends_at < now - dt.timedelta(hours=RECENT_HOURS + 6)]
    rng = ctx.rng
    overdue_groups = set(rng.sample([s.pk for s in old if s.kind == SessionKind.GROUP],
                                    k=min(OVERDUE_GROUP_DRAFTS, sum(s.kind == SessionKind.GROUP for s in old))))
    overdue_notes = set(rng.sample([s.pk for s in old if s.kind != SessionKind.GROUP],
                                   k=min(OVERDUE_NOTE_DRAFTS, sum(s.kind != SessionKind.GROUP for s in old))))
    objectives = _objectives_by_episode(sessions)
    counts = {"group notes": 0, "notes": 0, "drafts": 0}
    for session in sessions:
        recent = session.ends_at > now - dt.timedelta(hours=RECENT_HOURS)
        if recent and rng.random() < 0.5:
            continue                                   # not written yet: on the clinician's day
        sign = not recent and session.pk not in overdue_groups | overdue_notes
        if session.kind == SessionKind.GROUP:
            written = _group_note(ctx, session, objectives, sign=sign, now=now)
            counts["group notes"] += 1
        else:
            written = _one_to_one_notes(ctx, session, objectives, sign=sign, now=now)
        counts["notes"] += written
        counts["drafts"] += 0 if sign else 1
    _backdate(ctx, start)
    tasks = services.flag_unsigned_notes(now=now)
    ctx.report(f"Building demo clinic: {counts['group notes']} group notes and {counts['notes']} patients' notes "
               f"({counts['drafts']} sessions with drafts, {tasks} unsigned-note tasks)")


def _author(session):
    staff = sorted((user for user in session.staff.all() if user.role in services.NOTE_ROLES), key=lambda u: u.pk)
    return staff[0] if staff else None


def _objectives_by_episode(sessions) -> dict[int, list]:
    from openiop.plans.models import Objective, PlanKind, PlanVersion, VersionStatus

    episodes = {row.episode_id for session in sessions for row in session.attended_rows}
    latest = {}
    for version in (PlanVersion.objects.filter(plan__episode_id__in=episodes, plan__kind=PlanKind.TREATMENT,
                                               status=VersionStatus.SIGNED)
                    .select_related("plan").order_by("plan__episode_id", "number")):
        latest[version.plan.episode_id] = version.pk
    by_version: dict[int, list] = {}
    for objective in Objective.objects.filter(version_id__in=latest.values()).order_by("position", "id"):
        by_version.setdefault(objective.version_id, []).append(objective)
    return {episode: by_version.get(version, []) for episode, version in latest.items()}


def _signing_moment(ctx, session, now) -> dt.datetime:
    at = session.ends_at + dt.timedelta(minutes=ctx.rng.randint(20, 18 * 60))
    return min(at, now - dt.timedelta(minutes=5))


def _pick_objectives(ctx, row, objectives) -> list:
    mine = objectives.get(row.episode_id, [])
    if not mine:
        return []
    return ctx.rng.sample(mine, k=min(len(mine), ctx.rng.choice((1, 1, 2))))


def _group_note(ctx, session, objectives, *, sign: bool, now) -> int:
    rng, author = ctx.rng, _author(session)
    note = services.start_group_note(actor=author, session=session)
    category = session.group_type.category if session.group_type_id else "process"
    topic = session.module.title if session.module_id else (session.group_type.name if session.group_type_id else "Group")
    services.save_group_note(actor=author, group_note=note, topic=topic, module=session.module,
                             interventions=rng.choice(INTERVENTIONS.get(category, INTERVENTIONS["process"])),
                             summary=rng.choice(SUMMARIES).format(topic=topic.lower()))
    written = 0
    for row in session.attended_rows:
        values = {"participation": rng.choice(PARTICIPATION), "mood_affect": rng.choice(MOOD),
                  "progress": rng.choice(PROGRESS), "risk_observed": rng.choice(RISK),
                  "plan_next": rng.choice(PLAN_NEXT)}
        chosen = _pick_objectives(ctx, row, objectives)
        for attempt in (values, FALLBACK_PART):
            try:
                services.save_member_part(actor=author, group_note=note, attendance=row, objectives=chosen, **attempt)
            except ValidationError:
                continue                   # a phrase matched a member's name: use the plainest words
            written += 1
            break
    if sign:
        at = _signing_moment(ctx, session, now)
        services.sign_group_note(actor=author, group_note=note, attestation=rules.DEFAULT_ATTESTATION, signed_at=at)
        _after_signing(ctx, list(note.member_notes.all()), author, at, now)
    return written


def _one_to_one_notes(ctx, session, objectives, *, sign: bool, now) -> int:
    rng, author = ctx.rng, _author(session)
    written = 0
    for row in session.attended_rows:
        if session.kind == SessionKind.MEDICATION:
            template, body = "soap", dict(MEDICATION_BODY)
        else:
            template = rng.choice(("dap", "soap", "birp")) if session.kind == SessionKind.INDIVIDUAL else "dap"
            body = {key: rng.choice(BODY[key]) for key, _, _ in rules.TEMPLATE_SECTIONS[template]}
        note = services.start_note(actor=author, patient=row.patient, kind=session.kind, template=template,
                                   attendance=row)
        services.save_note(actor=author, note=note, body=body, time_in=note.time_in, time_out=note.time_out,
                           objectives=_pick_objectives(ctx, row, objectives),
                           patient_present=session.kind != SessionKind.FAMILY or rng.random() < 0.8)
        written += 1
        if sign:
            at = _signing_moment(ctx, session, now)
            services.sign_note(actor=author, note=note, attestation=rules.DEFAULT_ATTESTATION, signed_at=at)
            _after_signing(ctx, [note], author, at, now)
    return written


def _after_signing(ctx, notes, author, signed_at, now) -> None:
    rng = ctx.rng
    for note in notes:
        note.refresh_from_db()
        if note.cosign_required and rng.random() < COSIGNED_SHARE:
            at = min(signed_at + dt.timedelta(hours=rng.randint(2, 48)), now - dt.timedelta(minutes=1))
            services.cosign_note(actor=author.supervisor, note=note, attestation=rules.COSIGN_ATTESTATION, signed_at=at)
        if rng.random() < ADDENDUM_SHARE:
            at = min(signed_at + dt.timedelta(hours=rng.randint(1, 72)), now - dt.timedelta(minutes=1))
            services.add_addendum(actor=author, note=note, text=rng.choice(ADDENDA),
                                  attestation=rules.ADDENDUM_ATTESTATION, written_at=at)


def _backdate(ctx, start) -> None:
    """Notes were written when their sessions ended (the audit trail keeps the real entry time);
    queryset updates touch only the creation times, which the signing guards do not cover."""
    ended = Subquery(Session.objects.filter(pk=OuterRef("session_id")).values("ends_at")[:1])
    sessions = {"session__starts_at__gte": start, "session__program__organization": ctx.organization}
    Note.objects.filter(**sessions).update(created_at=ended, updated_at=ended)
    GroupNote.objects.filter(**sessions).update(created_at=ended, updated_at=ended)
