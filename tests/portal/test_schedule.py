"""The schedule in the portal: the patient's own sessions this week and next, family sessions
for consented family, the calendar link and reminder choices."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from openiop.audit.models import Action, AuditEvent
from openiop.scheduling import feeds
from openiop.scheduling.models import CalendarFeed, ReminderPreference, SessionKind, SessionStatus
from tests.scheduling.test_feeds import NOW, at, book, group_type, room

pytestmark = pytest.mark.django_db

SCHEDULE_URL = "/portal/schedule/"
REMINDERS_URL = "/portal/schedule/reminders/"


@pytest.fixture(autouse=True)
def at_noon_on_tuesday():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def sessions(clinic, clinician, patient_record, other_patient_user):
    sud, other = clinic["sud"], other_patient_user.patient
    rp = group_type(clinic["organization"])
    group_room = room(clinic)
    return {
        "group": book(program=sud, starts_at=at(1, 18), patients=[patient_record, other], staff=[clinician],
                      group_type=rp, room=group_room),
        "video": book(program=sud, starts_at=at(3, 17), minutes=50, kind=SessionKind.INDIVIDUAL,
                      patients=[patient_record], staff=[clinician], telehealth=True,
                      video_link="https://video.example.org/room/abc"),
        "family": book(program=sud, starts_at=at(9, 17), minutes=60, kind=SessionKind.FAMILY,
                       patients=[patient_record], staff=[clinician], room=group_room),
        "cancelled": book(program=sud, starts_at=at(10, 18), patients=[patient_record], staff=[clinician],
                          group_type=rp, room=group_room, status=SessionStatus.CANCELLED),
        "earlier_today": book(program=sud, starts_at=at(1, 9), minutes=60, kind=SessionKind.MEDICATION,
                              patients=[patient_record], staff=[clinician]),
        "week_after_next": book(program=sud, starts_at=at(14, 18), patients=[patient_record], staff=[clinician],
                                group_type=rp, room=group_room),
        "others_only": book(program=clinic["mh"], starts_at=at(2, 10), minutes=50, kind=SessionKind.INDIVIDUAL,
                            patients=[other]),
    }


def test_the_patient_sees_their_sessions_this_week_and_next(login, patient_user, sessions, clinician):
    response = login(patient_user).get(SCHEDULE_URL)
    assert response.status_code == 200
    text = response.text
    assert "Tuesday, December 1" in text and "6:00 PM to 9:00 PM" in text
    assert "Group session: Relapse prevention" in text and "Room 2, Main Street" in text
    assert clinician.get_full_name() in text
    assert "Video visit" in text and 'href="https://video.example.org/room/abc"' in text
    assert "Family session" in text and "Wednesday, December 9" in text
    assert "Cancelled" in text and "You do not need to come" in text
    # Over already, or beyond next week.
    assert "Medication check" not in text and "December 14" not in text


def test_no_other_patient_appears(login, patient_user, sessions, other_patient_user):
    text = login(patient_user).get(SCHEDULE_URL).text
    assert "Osei" not in text and "Blake" not in text
    assert "December 2" not in text     # the other patient's own session


def test_another_patient_sees_only_their_own_sessions(login, other_patient_user, sessions):
    text = login(other_patient_user).get(SCHEDULE_URL).text
    assert "Wednesday, December 2" in text and "Tuesday, December 1" in text    # their session and the shared group
    assert "Quinlan" not in text and "Ave" not in text
    assert "Family session" not in text and "video.example.org" not in text


def test_the_view_is_in_the_patients_access_report(login, patient_user, patient_record, sessions):
    login(patient_user).get(SCHEDULE_URL)
    assert AuditEvent.objects.filter(user=patient_user, patient=patient_record, action=Action.VIEW,
                                     detail__page="portal schedule").count() == 1


def test_the_page_shows_the_crisis_line_and_the_reminder_link(login, patient_user, sessions):
    text = login(patient_user).get(SCHEDULE_URL).text
    assert 'href="tel:988"' in text
    assert reverse("portal:schedule_reminders") in text
    assert "24 hours before" in text and "by email" in text


def test_the_portal_navigation_links_the_schedule(login, patient_user):
    assert f'href="{SCHEDULE_URL}"' in login(patient_user).get("/portal/").text


@pytest.mark.parametrize("persona_name", ["clinician", "outsider", "director", "front_desk"])
def test_staff_get_404(persona_name, persona, login, patient_record):
    assert login(persona(persona_name)).get(SCHEDULE_URL).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(SCHEDULE_URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_page_takes_the_same_queries_for_one_session_or_many(
    django_assert_num_queries, login, patient_user, patient_record, clinic, clinician,
):
    client = login(patient_user)
    book(program=clinic["sud"], starts_at=at(2, 18), patients=[patient_record], staff=[clinician], room=room(clinic))
    client.get(SCHEDULE_URL)    # warm the session and templates

    def queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(SCHEDULE_URL).status_code == 200
        return len(captured)

    one = queries()
    rp = group_type(clinic["organization"])
    for day in (3, 4, 7, 8):
        book(program=clinic["sud"], starts_at=at(day, 18), patients=[patient_record], staff=[clinician],
             group_type=rp, room=room(clinic, name=f"Room {day}"))
    assert queries() == one


# --- family ----------------------------------------------------------------------------------


def test_family_see_only_the_family_sessions(login, family_user, sessions):
    response = login(family_user).get(SCHEDULE_URL)
    assert response.status_code == 200
    text = response.text
    assert "With Ave" in text and "Family session" in text and "Wednesday, December 9" in text
    assert "Relapse prevention" not in text and "Group session" not in text and "video.example.org" not in text
    assert "Add to my calendar" not in text


def test_family_views_are_in_the_patients_access_report(login, family_user, patient_record, sessions):
    login(family_user).get(SCHEDULE_URL)
    assert AuditEvent.objects.filter(user=family_user, patient=patient_record, action=Action.VIEW).exists()


def test_family_see_nothing_once_consent_is_revoked(login, family_user, sessions):
    link = family_user.family_link
    link.portal_consent_revoked_on = link.portal_consent_on
    link.save()
    text = login(family_user).get(SCHEDULE_URL).text
    assert "With Ave" not in text and "December 9" not in text
    assert "You do not have access to anyone" in text


def test_family_cannot_make_a_calendar_link_or_change_reminders(login, family_user):
    client = login(family_user)
    assert client.post(reverse("portal:schedule_feed_new")).status_code == 404
    assert client.post(reverse("portal:schedule_feed_stop")).status_code == 404
    assert client.get(REMINDERS_URL).status_code == 404


# --- the calendar link -------------------------------------------------------------------------


def test_a_new_calendar_link_is_shown_once(login, patient_user, patient_record):
    client = login(patient_user)
    response = client.post(reverse("portal:schedule_feed_new"))
    assert response.status_code == 302
    shown = client.get(SCHEDULE_URL)
    url = shown.context["new_feed_url"]
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert CalendarFeed.objects.get(patient=patient_record, revoked_at__isnull=True).token_hash == feeds.token_hash(token)
    assert url in shown.text and "webcal://" in shown.text
    again = client.get(SCHEDULE_URL)
    assert token not in again.text and "cannot show the link again" in again.text


def test_making_a_new_link_stops_the_old_one(login, patient_user, patient_record):
    old, _ = feeds.make_feed(patient=patient_record, by=patient_user)
    login(patient_user).post(reverse("portal:schedule_feed_new"))
    old.refresh_from_db()
    assert old.revoked_at is not None
    assert CalendarFeed.objects.filter(patient=patient_record, revoked_at__isnull=True).count() == 1


def test_stopping_the_link(login, patient_user, patient_record):
    feed, token = feeds.make_feed(patient=patient_record, by=patient_user)
    client = login(patient_user)
    client.post(reverse("portal:schedule_feed_stop"))
    feed.refresh_from_db()
    assert feed.revoked_at is not None
    assert client.get(reverse("feeds:calendar_feed", kwargs={"token": token})).status_code == 404


# --- reminder choices -------------------------------------------------------------------------


def test_the_reminder_page_starts_from_the_defaults(login, patient_user):
    response = login(patient_user).get(REMINDERS_URL)
    assert response.status_code == 200
    assert response.context["form"].initial["hours_before"] == 24
    assert 'href="tel:988"' in response.text


def test_the_patient_saves_their_reminder_choices(login, patient_user, patient_record):
    response = login(patient_user).post(REMINDERS_URL, {
        "channel": "sms", "hours_before": "3", "quiet_from": "22:00", "quiet_until": "7:30 AM",
    })
    assert response.status_code == 302
    preference = ReminderPreference.objects.get(patient=patient_record)
    assert (preference.channel, preference.hours_before) == ("sms", 3)
    assert (preference.quiet_from, preference.quiet_until) == (dt.time(22), dt.time(7, 30))


def test_bad_choices_come_back_with_what_was_typed_and_the_field_named(login, patient_user):
    response = login(patient_user).post(REMINDERS_URL, {
        "channel": "email", "hours_before": "lots", "quiet_from": "25:00", "quiet_until": "08:00",
    })
    assert response.status_code == 400
    text = response.text
    assert "How many hours before?: Enter a whole number of hours" in text
    assert "Quiet hours start: Enter a time" in text
    assert 'value="lots"' in text and 'value="25:00"' in text
    assert not ReminderPreference.objects.exists()


def test_text_messages_without_a_phone_number_are_refused_on_the_channel(login, patient_user, patient_record):
    patient_record.phone = ""
    patient_record.save()
    response = login(patient_user).post(REMINDERS_URL, {
        "channel": "sms", "hours_before": "24", "quiet_from": "21:00", "quiet_until": "08:00",
    })
    assert response.status_code == 400
    assert "How should we remind you?: We do not have a phone number for you" in response.text
    assert 'value="24"' in response.text
