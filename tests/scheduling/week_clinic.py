"""A small synthetic clinic with one week to schedule (Monday 30 November 2026), for the tests of
building instances from the database, applying solved weeks, background runs and exports.

The evening substance-use track meets Mon (process), Tue (skills, telehealth), Thu (process,
no facilitator named: the solver picks one) at 18:00 for three hours. Staff: `clinician` (the
persona; leads both groups, individual and family therapy; Friday afternoon off), `tlee`
(leads process, individual therapy) and `drpatel` (prescriber). Patients:

- Avery (the `patient_record` persona): free weekday evenings; signed plan of 3 group blocks,
  weekly individual therapy, fortnightly family session and a drug screen; a member of the
  Monday group since November.
- Blake: no availability recorded and no signed plan (the default mix); admitted 16 November,
  so the fortnightly family session falls in this week.
- Casey: free Monday and Thursday evenings only (2 of 3 group blocks at most).
- Devon: signed plan of 2 group blocks and a weekly 30-minute medication visit; 12 planned hours.
"""

import datetime as dt

from django.utils import timezone

from openiop.accounts.enums import Role
from openiop.plans.models import Plan, PlanKind, PlanVersion, ServiceLine, VersionStatus
from openiop.scheduling.models import (
    GroupSeries,
    GroupType,
    PatientAvailability,
    SeriesMembership,
    StaffAvailability,
    StaffProfile,
    TimeOff,
)
from openiop.scheduling.rules import local_moment
from tests.factories.clinic import RoomFactory, UserFactory, admit, make_patient

WEEK = dt.date(2026, 11, 30)
BEFORE_THE_WEEK = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
EVENINGS = [{"day": d, "start": "17:00", "end": "21:30"} for d in range(5)]


def signed_plan(episode, lines, by=None):
    """Give the episode's treatment plan a signed version with these service lines
    [(service, sessions, minutes, every_weeks)]."""
    plan = Plan.objects.get(episode=episode, kind=PlanKind.TREATMENT)
    version = PlanVersion.objects.create(plan=plan, patient=episode.patient, number=1,
                                         program_of_origin=episode.program, security_labels=plan.security_labels)
    for position, (service, sessions, minutes, every_weeks) in enumerate(lines):
        ServiceLine.objects.create(version=version, position=position, service=service, sessions=sessions,
                                   minutes=minutes, every_weeks=every_weeks)
    PlanVersion.objects.filter(pk=version.pk).update(status=VersionStatus.SIGNED, signed_at=timezone.now(),
                                                     signed_by=by)
    return version


def staff_member(clinic, username, first, last, *, leads=(), individual=False, family=False, prescribes=False,
                 hours=("12:00", "21:30"), user=None):
    if user is None:
        user = UserFactory(username=username, first_name=first, last_name=last, role=Role.CLINICIAN,
                           organization=clinic["organization"])
        user.programs.set([clinic["sud"]])
    profile = StaffProfile.objects.create(user=user, gives_individual=individual, gives_family=family,
                                          prescribes=prescribes, max_weekly_minutes=30 * 60)
    profile.leads.set(leads)
    start, end = (dt.time.fromisoformat(t) for t in hours)
    for day in range(5):
        StaffAvailability.objects.create(user=user, weekday=day, start=start, end=end)
    return user


def patient(clinic, first, last, *, clinician=None, admitted_on=dt.date(2026, 10, 1), program=None, windows=None,
            planned_hours=None):
    program = program or clinic["sud"]
    record = make_patient(organization=clinic["organization"], program=program, legal_first_name=first,
                          legal_last_name=last)
    episode = admit(patient=record, program=program, clinician=clinician, admitted_on=admitted_on)
    if planned_hours is not None:
        episode.planned_weekly_hours = planned_hours
        episode.save(update_fields=["planned_weekly_hours"])
    if windows is not None:
        PatientAvailability.objects.update_or_create(patient=record, defaults={"windows": windows})
    return record, episode


def build(clinic, clinician, patient_record):
    """The clinic described in the module docstring; returns a dict of its parts."""
    organization, site, sud = clinic["organization"], clinic["site"], clinic["sud"]
    group_room = RoomFactory(site=site, name="Group room A", capacity=12)
    offices = [RoomFactory(site=site, name=f"Office {n}", capacity=3) for n in (1, 2)]
    process = GroupType.objects.create(organization=organization, code="process", name="Process group",
                                       category="process", max_size=12)
    skills = GroupType.objects.create(organization=organization, code="cbt-skills", name="CBT skills",
                                      category="skills", max_size=12)
    staff_member(clinic, "clinician", "", "", leads=[process, skills], individual=True, family=True, user=clinician)
    tlee = staff_member(clinic, "tlee", "Taylor", "Lee", leads=[process], individual=True)
    drpatel = staff_member(clinic, "drpatel", "Priya", "Patel", prescribes=True, hours=("09:00", "20:00"))
    TimeOff.objects.create(user=clinician, starts_at=local_moment(WEEK + dt.timedelta(days=4), dt.time(12)),
                           ends_at=local_moment(WEEK + dt.timedelta(days=4), dt.time(17)), reason="Training")
    evening = {"program": sud, "start": dt.time(18), "minutes": 180, "starts_on": dt.date(2026, 9, 1)}
    monday = GroupSeries.objects.create(name="Evening process (Mon)", group_type=process, weekday=0,
                                        room=group_room, facilitator=clinician, **evening)
    tuesday = GroupSeries.objects.create(name="Evening skills (Tue, online)", group_type=skills, weekday=1,
                                         facilitator=clinician, telehealth=True,
                                         video_link="https://video.example.org/skills", **evening)
    thursday = GroupSeries.objects.create(name="Evening process (Thu)", group_type=process, weekday=3,
                                          room=group_room, **evening)

    avery_episode = patient_record.episodes.get()
    PatientAvailability.objects.update_or_create(patient=patient_record, defaults={"windows": EVENINGS})
    signed_plan(avery_episode, [("group", 3, 180, 1), ("individual", 1, 60, 1), ("family", 1, 60, 2),
                                ("drug_screen", 1, 15, 1)], by=clinician)
    membership = SeriesMembership(series=monday, patient=patient_record, episode=avery_episode,
                                  joined_on=dt.date(2026, 11, 2))
    membership.label_for_program(sud)
    membership.save()

    blake, blake_episode = patient(clinic, "Blake", "Tran", clinician=tlee, admitted_on=dt.date(2026, 11, 18))
    casey, casey_episode = patient(clinic, "Casey", "Moore", clinician=clinician, windows=[
        {"day": 0, "start": "17:00", "end": "21:30"}, {"day": 3, "start": "17:00", "end": "21:30"}])
    devon, devon_episode = patient(clinic, "Devon", "Ruiz", clinician=clinician, windows=EVENINGS, planned_hours=12)
    signed_plan(devon_episode, [("group", 2, 180, 1), ("medication", 1, 30, 1)], by=clinician)
    return {
        "organization": organization, "rooms": {"group": group_room, "offices": offices},
        "group_types": {"process": process, "skills": skills},
        "staff": {"clinician": clinician, "tlee": tlee, "drpatel": drpatel},
        "series": {"monday": monday, "tuesday": tuesday, "thursday": thursday},
        "patients": {"avery": patient_record, "blake": blake, "casey": casey, "devon": devon},
        "episodes": {"avery": avery_episode, "blake": blake_episode, "casey": casey_episode,
                     "devon": devon_episode},
    }
