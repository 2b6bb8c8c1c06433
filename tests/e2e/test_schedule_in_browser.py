"""Rolling admission in the browser: the front desk adds a new patient to the evening track in
the middle of a series, the solver fits them around their work hours, nobody else's sessions
change, and the patient sees their schedule and calendar link in the portal.

The clock stands at Tuesday 1 December 2026, 09:00 (clinic time) and ticks from there.
"""

import datetime as dt
import re

import pytest
import time_machine

from openiop.programs.models import Room
from openiop.scheduling import availability
from openiop.scheduling.models import (
    Attendee,
    GroupSeries,
    GroupType,
    Session,
    StaffAvailability,
    StaffProfile,
)
from openiop.scheduling.rules import local_moment
from tests.factories.clinic import TEST_PASSWORD, UserFactory, admit, make_patient
from tests.scheduling.screens_clinic import NOW, member, series_session

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EVENINGS = (0, 1, 3)                     # Mon, Tue, Thu 18:00-21:00
SERIES_START = dt.date(2026, 11, 2)
PAST_DAYS = [dt.date(2026, 11, 23), dt.date(2026, 11, 24), dt.date(2026, 11, 26), dt.date(2026, 11, 30)]
THIS_WEEK = [dt.date(2026, 12, 1), dt.date(2026, 12, 3)]       # still to come on Tuesday morning


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=True):
        yield


def sign_in_as(page, username, lands_on):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(lands_on)


@pytest.fixture
def evening_track(clinic, clinician, front_desk):
    """The evening track with three members who have been coming for weeks, and Jordan, admitted
    today, who works 08:00-16:30 on weekdays and is free on Mon/Tue/Thu evenings and Wednesday
    from 17:00."""
    organization, site, sud = clinic["organization"], clinic["site"], clinic["sud"]
    group_room = Room.objects.create(site=site, name="Group Room C", capacity=14)
    Room.objects.create(site=site, name="Office 1", capacity=3)
    process = GroupType.objects.create(organization=organization, code="process", name="Process group", category="process")
    profile = StaffProfile.objects.create(user=clinician, gives_individual=True, gives_family=True)
    profile.leads.add(process)
    for weekday in range(5):
        StaffAvailability.objects.create(user=clinician, weekday=weekday, start=dt.time(12), end=dt.time(21, 30))
    series = {
        day: GroupSeries.objects.create(
            program=sud, group_type=process, name=f"Evening process group ({name})", weekday=day, start=dt.time(18),
            minutes=180, room=group_room, facilitator=clinician, starts_on=SERIES_START + dt.timedelta(days=day))
        for day, name in zip(EVENINGS, ("Mon", "Tue", "Thu"), strict=True)
    }
    members = []
    for first, last in (("Riley", "Stone"), ("Morgan", "Vale"), ("Casey", "Ford")):
        patient = make_patient(organization=organization, program=sud, legal_first_name=first, legal_last_name=last)
        admit(patient=patient, program=sud, clinician=clinician, admitted_on=dt.date(2026, 11, 2))
        members.append(patient)
    memberships = {(s.pk, p.pk): member(s, p, joined_on=SERIES_START) for s in series.values() for p in members}
    for day in PAST_DAYS + THIS_WEEK:
        one = series[day.weekday()]
        series_session(one, day, patients=members, membership_for={p.pk: memberships[one.pk, p.pk] for p in members})
    jordan = make_patient(organization=organization, program=sud, legal_first_name="Jordan", legal_last_name="Reyes")
    admit(patient=jordan, program=sud, clinician=clinician, admitted_on=dt.date(2026, 12, 1))
    availability.set_availability(jordan, [
        {"day": 0, "start": "17:30", "end": "21:30"}, {"day": 1, "start": "17:30", "end": "21:30"},
        {"day": 2, "start": "17:00", "end": "20:00"}, {"day": 3, "start": "17:30", "end": "21:30"},
    ], by=front_desk, note="Works Mon-Fri 08:00-16:30")
    UserFactory(username="jordan", role="patient", organization=organization, patient=jordan)
    return {"series": series, "members": members, "jordan": jordan}


def rosters(patients) -> dict[int, set[int]]:
    rows = Attendee.objects.filter(patient__in=patients)
    return {session: {p for s, p in rows.values_list("session_id", "patient_id") if s == session}
            for session in set(rows.values_list("session_id", flat=True))}


def test_front_desk_adds_a_patient_mid_series_and_the_solver_fits_them_around_work(page, browser, live_server, evening_track):
    members, jordan = evening_track["members"], evening_track["jordan"]
    before = rosters(members)
    past_rows = list(Attendee.objects.filter(session__starts_at__lt=local_moment(dt.date(2026, 12, 1), dt.time()))
                     .order_by("pk").values_list("pk", "session_id", "patient_id", "episode_id", "membership_id"))
    assert len(past_rows) == 12

    sign_in_as(page, "frontdesk", "**/clinic/**")
    page.goto(f"/clinic/patients/{jordan.mrn}/schedule/")
    join = page.get_by_role("region", name="Add to a group series")
    select = join.get_by_label("Group series")
    tuesday = select.locator("option", has_text="Evening process group (Tue)").get_attribute("value")
    select.select_option(tuesday)
    join.get_by_role("button", name="Add to the series").click()
    assert page.get_by_text(re.compile(r"joins Evening process group \(Tue\)")).is_visible()

    page.get_by_role("button", name="Fit into this week").click()
    page.wait_for_url(re.compile(r"/clinic/schedule/solve/\d+/"))
    page.get_by_text("Finished").first.wait_for()

    # Jordan is in this week's remaining evening groups and has an individual session, all
    # inside the times they gave (never during work).
    mine = list(Session.objects.filter(attendees__patient=jordan).order_by("starts_at"))
    kinds = [s.kind for s in mine]
    assert kinds.count("group") == 2 and "individual" in kinds
    free = {0: (17 * 60 + 30, 21 * 60 + 30), 1: (17 * 60 + 30, 21 * 60 + 30), 2: (17 * 60, 20 * 60),
            3: (17 * 60 + 30, 21 * 60 + 30)}
    from django.utils import timezone

    for session in mine:
        start, end = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
        assert start.date() >= dt.date(2026, 12, 1)
        low, high = free[start.weekday()]
        assert low <= start.hour * 60 + start.minute and end.hour * 60 + end.minute <= high

    # Nobody else's sessions changed: past rows identical, this week's rosters gained only Jordan.
    assert list(Attendee.objects.filter(pk__in=[row[0] for row in past_rows]).order_by("pk").values_list(
        "pk", "session_id", "patient_id", "episode_id", "membership_id")) == past_rows
    assert rosters(members) == before
    for session in Session.objects.filter(series__isnull=False, starts_at__gte=NOW):
        on_it = set(session.attendees.values_list("patient_id", flat=True))
        assert on_it - {jordan.pk} == {p.pk for p in members}

    # The staff calendar shows Jordan on Tuesday's group.
    page.goto(f"/clinic/patients/{jordan.mrn}/schedule/")
    assert page.get_by_text("Evening process group (Tue)").first.is_visible()
    assert page.console_errors == []

    portal = browser.new_context(base_url=live_server.url, viewport={"width": 360, "height": 740})
    try:
        patient_page = portal.new_page()
        patient_page.set_default_timeout(15_000)
        sign_in_as(patient_page, "jordan", "**/portal/**")
        patient_page.goto("/portal/schedule/")
        assert patient_page.get_by_role("heading", name="Tuesday, December 1").is_visible()
        assert patient_page.get_by_role("heading", name="Thursday, December 3").is_visible()
        assert patient_page.get_by_text("Riley").count() == 0          # no other member is named
        patient_page.get_by_role("button", name="Make my calendar link").click()
        link = patient_page.get_by_label("Your calendar link").input_value()
        assert re.search(r"/feeds/[A-Za-z0-9_-]{20,}\.ics$", link)
        assert patient_page.get_by_role("link", name="988").first.is_visible()
        overflow = patient_page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0
        feed = patient_page.request.get(link)
        assert feed.ok and "BEGIN:VCALENDAR" in feed.text() and "Riley" not in feed.text()
    finally:
        portal.close()
