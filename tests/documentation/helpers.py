"""A small clinic for the notes tests: the evening process group (Wednesdays 18:00) with three
members on its session of Wednesday 25 November 2026 — Avery Quinlan ("Ave", the persona
patient) and Dana Okafor present, Jordan Pike absent — a signed treatment plan for Avery and Dana
with objectives, and a one-to-one session of Avery's the day before. Now is Tuesday 1 December
2026, 09:00 (tests.scheduling.screens_clinic.NOW). Every person is synthetic.
"""

from __future__ import annotations

import datetime as dt

from openiop.attendance import services as attendance
from openiop.documentation import rules, services
from openiop.plans import services as plan_services
from openiop.plans.models import Plan
from openiop.scheduling.models import SessionKind
from tests.factories.clinic import admit, make_patient
from tests.scheduling.screens_clinic import at, build_setup, make_series, one_to_one, series_session

GROUP_DAY = dt.date(2026, 11, 25)
ATTEST = rules.DEFAULT_ATTESTATION


def signed_objectives(patient, clinician, texts=("Attend 90% of groups", "Use one coping skill a day")):
    """Sign a treatment plan for the patient's active episode with one goal and these objectives."""
    plan = Plan.objects.get(patient=patient, kind="treatment", episode__status="active")
    draft = plan_services.start_revision(actor=clinician, plan=plan)
    plan_services.save_item(actor=clinician, version=draft, part="problem", statement="Alcohol use")
    goal = plan_services.save_item(actor=clinician, version=draft, part="goal", clinical_text="Stay in recovery")
    objectives = [plan_services.save_item(actor=clinician, version=draft, part="objective", goal=goal, text=text,
                                          target_date=dt.date(2027, 1, 15)) for text in texts]
    plan_services.save_item(actor=clinician, version=draft, part="intervention", goal=goal, modality="cbt",
                            frequency="3 groups a week", responsible=clinician)
    plan_services.sign_version(actor=clinician, version=draft)
    return objectives


def build_group(clinic, clinician, patient_record):
    setup = build_setup(clinic, clinician, patient_record)
    third = make_patient(organization=clinic["organization"], program=clinic["sud"], legal_first_name="Jordan",
                         legal_last_name="Pike", date_of_birth=dt.date(1988, 7, 9))
    admit(patient=third, program=clinic["sud"], clinician=clinician)
    series = make_series(setup)
    session = series_session(series, GROUP_DAY, module=setup["modules"][0],
                             patients=[patient_record, setup["second"], third])
    rows = {row.patient_id: row for row in session.attendees.all()}
    present = attendance.record_attendance(actor=clinician, attendee=rows[patient_record.pk], status="present")
    present_second = attendance.record_attendance(actor=clinician, attendee=rows[setup["second"].pk], status="late",
                                                  checked_in_at=at(GROUP_DAY, 18, 20))
    absent = attendance.record_attendance(actor=clinician, attendee=rows[third.pk], status="absent_unexcused")
    return {**setup, "third": third, "series": series, "session": session, "avery": present,
            "dana": present_second, "jordan": absent}


def one_to_one_session(setup, patient, *, day=dt.date(2026, 11, 30), hour=14, minutes=50, kind=SessionKind.INDIVIDUAL,
                       actor=None, status="present"):
    session = one_to_one(setup, at(day, hour), patient=patient, kind=kind, minutes=minutes)
    row = session.attendees.get(patient=patient)
    record = attendance.record_attendance(actor=actor or setup["clinician"], attendee=row, status=status)
    return session, record


def part(**overrides):
    values = {"participation": "Shared openly and gave feedback to peers.", "mood_affect": "Euthymic, full range.",
              "progress": "Practised urge surfing twice this week.", "objectives": [],
              "risk_observed": "None observed.", "plan_next": "Bring the craving log."}
    values.update(overrides)
    return values


def shared(**overrides):
    values = {"topic": "Triggers", "module": None, "interventions": "Psychoeducation on triggers; role play.",
              "summary": "The group mapped personal triggers and rehearsed refusal skills."}
    values.update(overrides)
    return values


def write_group_note(actor, group, *, sign=True, avery_part=None, dana_part=None):
    note = services.start_group_note(actor=actor, session=group["session"])
    services.save_group_note(actor=actor, group_note=note, **shared())
    avery = services.save_member_part(actor=actor, group_note=note, attendance=group["avery"],
                                      **(avery_part or part(participation="Led the check-in.")))
    dana = services.save_member_part(actor=actor, group_note=note, attendance=group["dana"],
                                     **(dana_part or part(participation="Quiet, answered when asked.")))
    if sign:
        services.sign_group_note(actor=actor, group_note=note, attestation=ATTEST)
        note.refresh_from_db()
        avery.refresh_from_db()
        dana.refresh_from_db()
    return note, avery, dana


def individual_note(actor, patient, setup=None, *, session=None, sign=False, body=None):
    note = services.start_note(actor=actor, patient=patient, kind="individual", template="dap", session=session)
    services.save_note(actor=actor, note=note, body=body or {"data": "Discussed the week.", "assessment": "Improving.",
                                                           "plan": "Continue CBT."},
                       time_in=note.time_in or at(dt.date(2026, 11, 30), 14),
                       time_out=note.time_out or at(dt.date(2026, 11, 30), 14, 50), objectives=[])
    if sign:
        services.sign_note(actor=actor, note=note, attestation=ATTEST)
    note.refresh_from_db()
    return note
