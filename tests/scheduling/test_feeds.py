"""Calendar feeds: secret links, what an event says, revoking, and the audit of each fetch.

The builders at the top (`book`, `group_type`, `room`) are shared with the reminder, portal
schedule and FHIR Appointment tests.
"""

import datetime as dt
import hashlib
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from openiop.audit.models import Action, AuditEvent
from openiop.scheduling import feeds
from openiop.scheduling.models import (
    Attendee,
    CalendarFeed,
    GroupType,
    Session,
    SessionKind,
    SessionStatus,
)
from tests.factories.clinic import RoomFactory

pytestmark = pytest.mark.django_db

CLINIC_TZ = zoneinfo.ZoneInfo("America/New_York")
# Tuesday 1 December 2026, noon at the clinic.
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=CLINIC_TZ)
NEUTRAL = set(feeds.NEUTRAL_TITLES.values())


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=CLINIC_TZ)


def group_type(organization, name="Relapse prevention", code="relapse-prevention") -> GroupType:
    return GroupType.objects.get_or_create(
        organization=organization, code=code, defaults={"name": name, "category": "relapse_prevention"},
    )[0]


def room(clinic, name="Room 2"):
    from openiop.programs.models import Room

    return Room.objects.filter(site=clinic["site"], name=name).first() or RoomFactory(site=clinic["site"], name=name)


def book(*, program, starts_at, patients=(), staff=(), kind=SessionKind.GROUP, minutes=180, room=None,
         group_type=None, telehealth=False, video_link="", status=SessionStatus.SCHEDULED) -> Session:
    """A session with its roster, as the scheduling services would leave it."""
    session = Session.objects.create(
        program=program, kind=kind, group_type=group_type, starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=minutes), room=room, telehealth=telehealth,
        video_link=video_link, status=status,
    )
    session.staff.set(staff)
    for patient in patients:
        episode = patient.episodes.filter(program=program).first() or patient.episodes.first()
        row = Attendee(session=session, patient=patient, episode=episode)
        row.label_for_program(program)
        row.save()
    return session


def parse(document: bytes):
    from icalendar import Calendar

    return Calendar.from_ical(document)


def events(document: bytes) -> list:
    return list(parse(document).walk("VEVENT"))


def fetch(client, token):
    return client.get(reverse("feeds:calendar_feed", kwargs={"token": token}))


@pytest.fixture
def week(clinic, clinician, patient_record, other_patient_user):
    """patient_record's sessions around NOW: a relapse-prevention group shared with another
    patient, an individual session, a drug screen, a video visit, a cancelled group, one too
    far ahead, and one of the other patient alone."""
    sud, other = clinic["sud"], other_patient_user.patient
    rp = group_type(clinic["organization"])
    group_room = room(clinic)
    return {
        "group": book(program=sud, starts_at=at(1, 18), patients=[patient_record, other], staff=[clinician],
                      group_type=rp, room=group_room),
        "individual": book(program=sud, starts_at=at(3, 17), minutes=50, kind=SessionKind.INDIVIDUAL,
                           patients=[patient_record], staff=[clinician], room=group_room),
        "screen": book(program=sud, starts_at=at(2, 17, 30), minutes=15, kind=SessionKind.DRUG_SCREEN,
                       patients=[patient_record], room=group_room),
        "video": book(program=sud, starts_at=at(4, 18), minutes=50, kind=SessionKind.INDIVIDUAL,
                      patients=[patient_record], staff=[clinician], telehealth=True,
                      video_link="https://video.example.org/room/abc"),
        "cancelled": book(program=sud, starts_at=at(8, 18), patients=[patient_record], staff=[clinician],
                          group_type=rp, room=group_room, status=SessionStatus.CANCELLED),
        "too_far": book(program=sud, starts_at=NOW + dt.timedelta(weeks=13), patients=[patient_record],
                        staff=[clinician], group_type=rp, room=group_room),
        "others_only": book(program=clinic["mh"], starts_at=at(2, 10), kind=SessionKind.INDIVIDUAL,
                            patients=[other], minutes=50),
    }


# --- links ---------------------------------------------------------------------------------


def test_only_the_hash_of_the_token_is_stored(patient_record, patient_user):
    feed, token = feeds.make_feed(patient=patient_record, by=patient_user)
    assert len(token) >= 43
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = CalendarFeed.objects.filter(pk=feed.pk).values().get()
    assert token not in {str(value) for value in stored.values()}


def test_a_new_link_revokes_the_old_one(client, patient_record, patient_user):
    old, old_token = feeds.make_feed(patient=patient_record, by=patient_user)
    new, new_token = feeds.make_feed(patient=patient_record, by=patient_user)
    old.refresh_from_db()
    assert old.revoked_at is not None and new.is_active
    assert fetch(client, old_token).status_code == 404
    assert fetch(client, new_token).status_code == 200


def test_a_revoked_link_is_404(client, patient_record, patient_user):
    feed, token = feeds.make_feed(patient=patient_record, by=patient_user)
    feeds.revoke_feed(feed, by=patient_user)
    assert fetch(client, token).status_code == 404
    assert feeds.feed_for_token(token) is None


def test_an_unknown_token_is_404(client):
    assert fetch(client, "not-a-real-token").status_code == 404


def test_a_deactivated_staff_members_link_stops_working(client, clinician):
    _, token = feeds.make_feed(user=clinician, by=clinician)
    clinician.is_active = False
    clinician.save()
    assert fetch(client, token).status_code == 404


def test_a_deactivated_portal_login_stops_the_patients_link(client, patient_record, patient_user):
    _, token = feeds.make_feed(patient=patient_record, by=patient_user)
    patient_user.is_active = False
    patient_user.save()
    assert fetch(client, token).status_code == 404
    assert not AuditEvent.objects.filter(patient=patient_record, action=Action.VIEW).exists()


def test_a_feed_has_exactly_one_owner(clinician, patient_record):
    with pytest.raises(ValueError):
        feeds.make_feed(user=clinician, patient=patient_record, by=clinician)


def test_the_feed_is_a_private_calendar_document(client, patient_record, patient_user):
    _, token = feeds.make_feed(patient=patient_record, by=patient_user)
    response = fetch(client, token)
    assert response["Content-Type"].startswith("text/calendar")
    assert "private" in response["Cache-Control"]
    parse(response.content)


def test_fetching_records_when_the_link_was_last_used(client, patient_record, patient_user):
    feed, token = feeds.make_feed(patient=patient_record, by=patient_user)
    fetch(client, token)
    feed.refresh_from_db()
    assert feed.last_used_at is not None


# --- what the events say ---------------------------------------------------------------------


def test_the_patient_feed_has_their_sessions_and_nothing_that_reveals_why(client, week, patient_record, patient_user):
    _, token = feeds.make_feed(patient=patient_record, by=patient_user)
    with time_machine.travel(NOW, tick=False):
        document = fetch(client, token).content
    found = {str(event["UID"]): event for event in events(document)}
    expected = {feeds.event_uid(week[name]) for name in ("group", "individual", "screen", "video")}
    assert set(found) == expected
    assert {str(event["SUMMARY"]) for event in found.values()} <= NEUTRAL
    text = document.decode()
    for revealing in ("Relapse", "relapse", "substance", "Substance", "IOP", "Drug screen", "F10", "Alcohol",
                      "Osei", "Blake", "Quinlan", "Avery"):
        assert revealing not in text


def test_a_drug_screen_is_just_an_appointment(week, patient_record, patient_user):
    feed, _ = feeds.make_feed(patient=patient_record, by=patient_user)
    screen = next(e for e in events(feeds.feed_ics(feed, now=NOW)) if str(e["UID"]) == feeds.event_uid(week["screen"]))
    assert str(screen["SUMMARY"]) == "Appointment"


def test_times_are_utc_and_uids_are_stable(week, patient_record, patient_user):
    feed, _ = feeds.make_feed(patient=patient_record, by=patient_user)
    first = feeds.feed_ics(feed, now=NOW)
    group = next(e for e in events(first) if str(e["UID"]) == feeds.event_uid(week["group"]))
    assert group.decoded("DTSTART") == at(1, 18).astimezone(dt.UTC)
    assert group.decoded("DTSTART").utcoffset() == dt.timedelta(0)
    assert "DTSTART:20261201T230000Z" in first.decode()
    later = feeds.feed_ics(feed, now=NOW + dt.timedelta(hours=1))
    assert {str(e["UID"]) for e in events(first)} == {str(e["UID"]) for e in events(later)}


def test_rooms_are_the_location_and_a_video_visit_carries_its_link(week, patient_record, patient_user):
    feed, _ = feeds.make_feed(patient=patient_record, by=patient_user)
    by_uid = {str(e["UID"]): e for e in events(feeds.feed_ics(feed, now=NOW))}
    group, video = by_uid[feeds.event_uid(week["group"])], by_uid[feeds.event_uid(week["video"])]
    assert str(group["LOCATION"]) == "Room 2" and "URL" not in group
    assert str(video["LOCATION"]) == "Video visit"
    assert str(video["URL"]) == "https://video.example.org/room/abc"
    assert "https://video.example.org/room/abc" in str(video["DESCRIPTION"])


def test_the_staff_feed_lists_the_sessions_they_run_without_patient_names(client, week, clinician):
    _, token = feeds.make_feed(user=clinician, by=clinician)
    with time_machine.travel(NOW, tick=False):
        document = fetch(client, token).content
    found = {str(event["UID"]) for event in events(document)}
    assert found == {feeds.event_uid(week[name]) for name in ("group", "individual", "video")}
    text = document.decode()
    for name in ("Quinlan", "Avery", "Ave ", "Osei", "Blake", "Relapse"):
        assert name not in text


# --- audit -----------------------------------------------------------------------------------


def test_each_fetch_of_a_patient_feed_is_in_their_access_report(client, week, patient_record, patient_user):
    _, token = feeds.make_feed(patient=patient_record, by=patient_user)
    fetch(client, token)
    fetch(client, token)
    views = AuditEvent.objects.filter(patient=patient_record, action=Action.VIEW, username=feeds.FEED_ACTOR)
    assert views.count() == 2
    assert all(token not in event.path and token not in str(event.detail) for event in views)


def test_making_and_stopping_a_patient_link_is_audited(patient_record, patient_user):
    feed, _ = feeds.make_feed(patient=patient_record, by=patient_user)
    feeds.revoke_feed(feed, by=patient_user)
    actions = list(AuditEvent.objects.filter(patient=patient_record, object_type="scheduling.calendarfeed")
                   .values_list("action", flat=True))
    assert sorted(actions) == sorted([Action.CREATE, Action.CHANGE])


def test_a_staff_feed_fetch_is_not_a_patient_access(client, week, clinician, patient_record):
    _, token = feeds.make_feed(user=clinician, by=clinician)
    fetch(client, token)
    assert not AuditEvent.objects.filter(patient=patient_record, username=feeds.FEED_ACTOR).exists()


def test_building_a_feed_takes_the_same_queries_for_one_session_or_many(
    django_assert_num_queries, clinic, clinician, patient_record, patient_user,
):
    feed, _ = feeds.make_feed(patient=patient_record, by=patient_user)
    book(program=clinic["sud"], starts_at=at(2, 18), patients=[patient_record], staff=[clinician])
    with django_assert_num_queries(1):
        feeds.feed_ics(feed, now=NOW)
    for day in (3, 4, 7, 8):
        book(program=clinic["sud"], starts_at=at(day, 18), patients=[patient_record], staff=[clinician])
    with django_assert_num_queries(1):
        assert len(events(feeds.feed_ics(feed, now=NOW))) == 5


# --- the staff member's page -------------------------------------------------------------------


def test_a_staff_member_makes_their_link_and_sees_it_once(login, clinician):
    client = login(clinician)
    url = reverse("clinic:schedule_my_feed")
    response = client.post(reverse("clinic:schedule_my_feed_new"))
    assert response.status_code == 302
    shown = client.get(url)
    feed = CalendarFeed.objects.get(user=clinician, revoked_at__isnull=True)
    token = shown.context["new_feed_url"].rsplit("/", 1)[1].removesuffix(".ics")
    assert feed.token_hash == feeds.token_hash(token)
    assert token not in client.get(url).text


def test_a_staff_member_stops_their_link(login, clinician):
    client = login(clinician)
    feed, _ = feeds.make_feed(user=clinician, by=clinician)
    client.post(reverse("clinic:schedule_my_feed_stop"))
    feed.refresh_from_db()
    assert feed.revoked_at is not None


@pytest.mark.parametrize("persona_name", ["patient_user", "family_user"])
def test_portal_users_have_no_staff_feed_page(persona_name, persona, login):
    client = login(persona(persona_name))
    assert client.get(reverse("clinic:schedule_my_feed")).status_code == 404
    assert client.post(reverse("clinic:schedule_my_feed_new")).status_code == 404
