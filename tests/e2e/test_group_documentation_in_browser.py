"""A group documented in the browser: the clinician takes attendance for a group of four (one
late, one absent) on a phone-sized screen, writes one group note with a part for each of the
three who came and signs it. Each of the three charts then shows its own complete note and no
other member's name; an addendum after signing leaves the signed note as it was; the absent
member has no note and an outreach call waiting.

The clock stands at Tuesday 1 December 2026, 09:00 (clinic time) and ticks from there; the
group ran from 07:30 to 08:30 that morning.
"""

import datetime as dt
import re

import pytest
import time_machine

from openiop.plans import services as plan_services
from openiop.plans.models import Plan
from openiop.programs.models import Room
from openiop.scheduling.models import GroupType, Session
from openiop.scheduling.rules import local_moment
from openiop.worklist.models import Task, TaskKind
from tests.factories.clinic import TEST_PASSWORD, admit, make_patient
from tests.scheduling.screens_clinic import NOW, seat

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MEMBERS = (("Riley", "Stone"), ("Morgan", "Vale"), ("Casey", "Ford"), ("Jamie", "Park"))
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=True):
        yield


def _signed_objective(patient, clinician, text):
    plan = Plan.objects.get(patient=patient, kind="treatment")
    draft = plan_services.start_revision(actor=clinician, plan=plan)
    plan_services.save_item(actor=clinician, version=draft, part="problem", statement="Alcohol use")
    goal = plan_services.save_item(actor=clinician, version=draft, part="goal", clinical_text="Stay sober")
    plan_services.save_item(actor=clinician, version=draft, part="objective", goal=goal, text=text,
                            target_date=dt.date(2027, 1, 15))
    plan_services.save_item(actor=clinician, version=draft, part="intervention", goal=goal, modality="cbt",
                            frequency="3 groups a week", responsible=clinician)
    plan_services.sign_version(actor=clinician, version=draft)


@pytest.fixture
def morning_group(clinic, clinician):
    """This morning's relapse-prevention group (07:30-08:30) with four members, each with a
    signed treatment plan objective of their own."""
    organization, site, sud = clinic["organization"], clinic["site"], clinic["sud"]
    room = Room.objects.create(site=site, name="Group Room C", capacity=14)
    group_type = GroupType.objects.create(organization=organization, code="rp", name="Relapse prevention",
                                          category="psychoeducation")
    members = []
    for first, last in MEMBERS:
        patient = make_patient(organization=organization, program=sud, legal_first_name=first, legal_last_name=last)
        admit(patient=patient, program=sud, clinician=clinician, admitted_on=dt.date(2026, 11, 2))
        _signed_objective(patient, clinician, f"{first}'s objective: name three triggers")
        members.append(patient)
    starts_at = local_moment(dt.date(2026, 12, 1), dt.time(7, 30))
    session = Session.objects.create(program=sud, kind="group", group_type=group_type, starts_at=starts_at,
                                     ends_at=starts_at + dt.timedelta(minutes=60), room=room, source="hand", fixed=True)
    session.staff.add(clinician)
    for patient in members:
        seat(session, patient)
    return session, members


def test_one_group_note_gives_each_member_present_their_own_note(browser, live_server, morning_group, clinician):
    session, (riley, morgan, casey, jamie) = morning_group
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(clinician.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/clinic/**")

    # The day says the group needs its attendance; the roster is a few taps per member.
    page.goto("/clinic/")
    page.get_by_role("link", name=re.compile("^Take attendance")).first.click()
    page.wait_for_url(f"**/schedule/sessions/{session.pk}/attendance/")

    def card(patient):
        return page.locator("section").filter(has=page.get_by_role("heading", name=re.compile(patient.legal_last_name)))

    card(riley).get_by_label("Present", exact=True).check()
    card(morgan).get_by_label("Late", exact=True).check()
    card(morgan).get_by_label("Checked in").fill("07:47")
    card(casey).get_by_label("Present", exact=True).check()
    card(jamie).get_by_label("Absent (not excused)", exact=True).check()
    page.get_by_role("button", name="Save attendance").click()
    page.wait_for_load_state()
    page.goto(f"/clinic/schedule/sessions/{session.pk}/attendance/")
    assert "Late, 43 min" in card(morgan).inner_text()
    assert "Present, 60 min" in card(riley).inner_text()

    # One group note: the shared part once, a part for each of the three who came.
    page.goto(f"/clinic/schedule/sessions/{session.pk}/note/")
    assert page.locator("section").filter(has=page.get_by_role("heading", name=re.compile("Park"))).count() == 0 \
        or "no note" in page.get_by_role("heading", name="Not in the group").locator("..").inner_text()
    page.get_by_label("Topic").fill("High-risk situations at weekends")
    page.get_by_label("Interventions").fill("Psychoeducation on high-risk situations; urge-surfing practice.")
    page.get_by_label("Group summary").fill("The group mapped weekend triggers and practised urge surfing.")
    parts = {
        riley: "Shared how payday Fridays set off cravings.",
        morgan: "Arrived late, settled quickly, spoke about sleep.",
        casey: "Quiet at first; practised urge surfing twice.",
    }
    for patient, participation in parts.items():
        member = card(patient)
        member.get_by_label("Participation").fill(participation)
        member.get_by_label("Mood and affect").fill("Euthymic, congruent")
        member.get_by_label(re.compile("objective: name three triggers")).check()
        member.get_by_label("Progress on plan objectives").fill("Named two triggers.")
        member.get_by_label("Risk observed").fill("None observed")
        member.get_by_label("Plan for next session").fill("Bring the trigger list.")
    page.get_by_label(re.compile("^I attest")).check()
    page.get_by_role("button", name="Sign the group note and every part written").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Shared part (signed)").is_visible()

    # Each chart holds a complete note of its own, with nobody else in it.
    names = {p.pk: (p.legal_first_name, p.legal_last_name) for p in (riley, morgan, casey, jamie)}
    for patient, participation in parts.items():
        page.goto(f"/clinic/patients/{patient.mrn}/notes/")
        page.locator("table").get_by_role("link").first.click()
        page.wait_for_url("**/clinic/notes/*/")
        text = page.locator("main").inner_text()
        assert "The group mapped weekend triggers" in text and participation in text
        assert f"{patient.legal_first_name}'s objective" in text
        for other_pk, (first, last) in names.items():
            if other_pk != patient.pk:
                assert first not in text and last not in text, (patient, first, last)

    # An addendum is added below the signed note; the note itself is unchanged.
    page.goto(f"/clinic/patients/{riley.mrn}/notes/")
    page.locator("table").get_by_role("link").first.click()
    page.wait_for_url("**/clinic/notes/*/")
    signed_note = page.locator("article").first.inner_text()
    page.get_by_label("Addendum", exact=True).fill(
        "Riley called after the group: the trigger list is done.")
    page.get_by_label(re.compile("^I attest")).check()
    page.get_by_role("button", name="Add the addendum").click()
    page.wait_for_load_state()
    assert "the trigger list is done" in page.get_by_role("heading", name="Addenda").locator("..").inner_text()
    assert page.locator("article").first.inner_text() == signed_note

    # The absent member has no note, and a call to make today.
    page.goto(f"/clinic/patients/{jamie.mrn}/notes/")
    assert "No notes yet." in page.locator("main").inner_text()
    outreach = Task.objects.get(kind=TaskKind.OUTREACH, patient=jamie, done_at__isnull=True)
    page.goto("/clinic/")
    assert page.locator(f'a[href="/clinic/attendance/outreach/{outreach.pk}/"]').count() == 1

    # The chart's summaries load one after the other (measures, plans, medications) without errors.
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"/clinic/patients/{riley.mrn}/")
    page.locator("#medical").get_by_text("Admission reconciliation").wait_for()
    assert errors == []
    context.close()
