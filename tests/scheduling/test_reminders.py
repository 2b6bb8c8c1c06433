"""Appointment reminders: when they go, by which channel, what they say, and never twice."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from openiop.audit.models import Action, AuditEvent
from openiop.care.models import EpisodeOfCare, EpisodeStatus
from openiop.scheduling import reminders, sms
from openiop.scheduling.models import (
    ReminderPreference,
    ReminderSent,
    Session,
    SessionKind,
    SessionStatus,
)
from tests.scheduling.test_feeds import at, book, group_type, room

pytestmark = pytest.mark.django_db

CLINICAL_WORDS = ("Relapse", "relapse", "substance", "Substance", "IOP", "group", "Group", "therapy", "F10",
                  "Alcohol", "drug", "Drug", "Osei", "Blake")


class BrokenBackend(sms.BaseBackend):
    def send(self, phone, text):
        raise ConnectionError("provider unreachable")


@pytest.fixture(autouse=True)
def text_messages(settings):
    settings.OPENIOP_SMS_BACKEND = "openiop.scheduling.sms.LocmemBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def tomorrow_morning(clinic, clinician, patient_record, patient_user, other_patient_user):
    """A relapse-prevention group on Wednesday 2 December at 9:00, shared with another patient."""
    return book(program=clinic["sud"], starts_at=at(2, 9), patients=[patient_record, other_patient_user.patient],
                staff=[clinician], group_type=group_type(clinic["organization"]), room=room(clinic))


def choose(patient, **choices) -> ReminderPreference:
    fields = {"channel": "email", "hours_before": 24, "quiet_from": dt.time(21), "quiet_until": dt.time(8)}
    fields.update(choices)
    return ReminderPreference.objects.update_or_create(patient=patient, defaults=fields)[0]


def only_for(patient):
    """Stop reminders to everyone but `patient` (the other patient in the shared group)."""
    from openiop.patients.models import Patient

    for other in Patient.objects.exclude(pk=patient.pk):
        choose(other, channel="none")


def test_it_emails_the_patient_24_hours_before_by_default(tomorrow_morning, patient_record, mailoutbox):
    only_for(patient_record)
    counts = reminders.send_due_reminders(now=at(1, 10))
    assert counts["sent"] == 1
    (message,) = mailoutbox
    assert message.to == ["patient@example.org"]
    assert "Wed 2 Dec at 9:00 AM" in message.body
    sent = ReminderSent.objects.get(session=tomorrow_morning, patient=patient_record)
    assert (sent.channel, sent.outcome) == ("email", "sent")


def test_nothing_goes_before_the_patients_hours_before(tomorrow_morning, patient_record, mailoutbox):
    only_for(patient_record)
    choose(patient_record, hours_before=2)
    assert reminders.send_due_reminders(now=at(1, 10))["not_due"] == 1
    assert mailoutbox == []
    assert reminders.send_due_reminders(now=at(2, 8, 1))["sent"] == 1


def test_a_reminder_is_never_sent_twice(tomorrow_morning, patient_record, mailoutbox):
    only_for(patient_record)
    reminders.send_due_reminders(now=at(1, 10))
    reminders.send_due_reminders(now=at(1, 10, 15))
    reminders.send_due_reminders(now=at(1, 19))
    assert len(mailoutbox) == 1


def test_a_reminder_due_in_quiet_hours_waits_until_they_end(tomorrow_morning, patient_record, mailoutbox):
    only_for(patient_record)
    choose(patient_record, hours_before=4)      # due at 5:00, quiet until 8:00
    assert reminders.send_due_reminders(now=at(2, 5, 30))["skipped_quiet"] == 1
    assert reminders.send_due_reminders(now=at(2, 7, 59))["skipped_quiet"] == 1
    assert mailoutbox == []
    assert reminders.send_due_reminders(now=at(2, 8, 0))["sent"] == 1


def test_quiet_hours_are_the_clinics_local_time(tomorrow_morning, patient_record, mailoutbox):
    only_for(patient_record)
    choose(patient_record, quiet_from=dt.time(9), quiet_until=dt.time(11))
    # 10:00 in New York is 15:00 UTC: quiet at the clinic.
    assert reminders.send_due_reminders(now=at(1, 10).astimezone(dt.UTC))["skipped_quiet"] == 1


def test_a_reminder_still_in_quiet_hours_when_the_session_starts_is_dropped(clinic, patient_record, mailoutbox):
    only_for(patient_record)
    book(program=clinic["sud"], starts_at=at(2, 7, 30), patients=[patient_record], kind=SessionKind.DRUG_SCREEN)
    assert reminders.send_due_reminders(now=at(2, 6))["skipped_quiet"] == 1
    assert sum(reminders.send_due_reminders(now=at(2, 8)).values()) == 0
    assert mailoutbox == []


def test_it_texts_through_the_sms_backend(tomorrow_morning, patient_record, text_messages, mailoutbox):
    only_for(patient_record)
    choose(patient_record, channel="sms")
    reminders.send_due_reminders(now=at(1, 10))
    (message,) = text_messages
    assert message.phone == "555-0100"
    assert message.text.startswith(f"Reminder from {patient_record.organization.name}: you have an appointment on ")
    assert mailoutbox == []


def test_the_message_says_nothing_clinical_and_names_no_one_else(
    tomorrow_morning, patient_record, text_messages, mailoutbox, clinic, clinician,
):
    only_for(patient_record)
    choose(patient_record, channel="sms")
    clinic["site"].phone = "555-0199"
    clinic["site"].save()
    reminders.send_due_reminders(now=at(1, 10))
    (message,) = text_messages
    assert message.text == (f"Reminder from {patient_record.organization.name}: you have an appointment on "
                            "Wed 2 Dec at 9:00 AM. Please call 555-0199 if you cannot come.")
    for word in (*CLINICAL_WORDS, clinic["sud"].name, clinician.last_name, "Room 2"):
        assert word not in message.text


def test_the_email_says_nothing_clinical(tomorrow_morning, patient_record, mailoutbox, clinic):
    only_for(patient_record)
    reminders.send_due_reminders(now=at(1, 10))
    (message,) = mailoutbox
    for word in (*CLINICAL_WORDS, clinic["sud"].name):
        assert word not in message.subject + message.body


def test_discharged_patients_get_no_reminders(tomorrow_morning, patient_record, mailoutbox):
    only_for(patient_record)
    EpisodeOfCare.objects.filter(patient=patient_record).update(status=EpisodeStatus.FINISHED)
    assert reminders.send_due_reminders(now=at(1, 10))["sent"] == 0
    assert mailoutbox == []


def test_cancelled_sessions_get_no_reminders(tomorrow_morning, patient_record, mailoutbox):
    only_for(patient_record)
    tomorrow_morning.status = SessionStatus.CANCELLED
    tomorrow_morning.save()
    reminders.send_due_reminders(now=at(1, 10))
    assert mailoutbox == []


def test_a_patient_who_chose_no_reminders_gets_none(tomorrow_morning, patient_record, mailoutbox):
    only_for(patient_record)
    choose(patient_record, channel="none")
    # Both patients of the group now: this one by choice, the other by only_for.
    assert reminders.send_due_reminders(now=at(1, 10))["skipped_opted_out"] == 2
    assert mailoutbox == []


def test_each_patient_in_a_group_gets_their_own_reminder(tomorrow_morning, patient_record, other_patient_user,
                                                         text_messages, mailoutbox):
    choose(other_patient_user.patient, channel="sms")
    counts = reminders.send_due_reminders(now=at(1, 10))
    assert counts["sent"] == 2
    assert [m.to for m in mailoutbox] == [["patient@example.org"]]
    assert [m.phone for m in text_messages] == ["555-0100"]


def test_without_an_address_it_records_why_and_does_not_retry(clinic, patient_record, mailoutbox):
    # patient_record has no email on the record and, here, no portal login.
    only_for(patient_record)
    session = book(program=clinic["sud"], starts_at=at(2, 9), patients=[patient_record])
    assert reminders.send_due_reminders(now=at(1, 10))["skipped_no_contact"] == 1
    assert ReminderSent.objects.get(session=session).outcome == reminders.OUTCOME_NO_EMAIL
    assert sum(reminders.send_due_reminders(now=at(1, 11)).values()) == 0


def test_a_reminder_not_sent_for_want_of_an_address_is_audited(clinic, patient_record, mailoutbox):
    only_for(patient_record)
    book(program=clinic["sud"], starts_at=at(2, 9), patients=[patient_record])
    reminders.send_due_reminders(now=at(1, 10))
    event = AuditEvent.objects.get(patient=patient_record, object_type="scheduling.remindersent")
    assert event.action == Action.CREATE and event.detail["outcome"] == reminders.OUTCOME_NO_EMAIL


def test_a_failed_send_is_tried_again_next_run(settings, tomorrow_morning, patient_record, text_messages):
    only_for(patient_record)
    choose(patient_record, channel="sms")
    settings.OPENIOP_SMS_BACKEND = "tests.scheduling.test_reminders.BrokenBackend"
    assert reminders.send_due_reminders(now=at(1, 10))["failed"] == 1
    assert not ReminderSent.objects.exists()
    settings.OPENIOP_SMS_BACKEND = "openiop.scheduling.sms.LocmemBackend"
    assert reminders.send_due_reminders(now=at(1, 10, 15))["sent"] == 1
    assert len(text_messages) == 1


def test_a_sent_reminder_is_audited(tomorrow_morning, patient_record, mailoutbox):
    only_for(patient_record)
    reminders.send_due_reminders(now=at(1, 10))
    event = AuditEvent.objects.get(patient=patient_record, object_type="scheduling.remindersent")
    assert event.action == Action.CREATE and event.detail["reminder"] == "email"


def test_finding_due_reminders_takes_the_same_queries_for_one_patient_or_many(
    django_assert_num_queries, clinic, patient_record, other_patient_user,
):
    book(program=clinic["sud"], starts_at=at(2, 9), patients=[patient_record])
    with django_assert_num_queries(1):
        assert len(list(reminders.due_candidates(at(1, 10)))) == 1
    for hour in (10, 11, 12):
        book(program=clinic["sud"], starts_at=at(2, hour), patients=[patient_record, other_patient_user.patient])
    with django_assert_num_queries(1):
        rows = list(reminders.due_candidates(at(1, 10)))
        for row in rows:
            reminders.choice_of(row.patient)
            reminders.reminder_text(row.session)
            reminders.email_of(row.patient)
    assert len(rows) == 7


# --- the patient's choices --------------------------------------------------------------------------


def test_choices_are_saved_and_audited(patient_record, patient_user):
    reminders.set_reminder_preference(patient=patient_record, channel="sms", hours_before=3,
                                      quiet_from=dt.time(22), quiet_until=dt.time(7), by=patient_user)
    assert reminders.choice_of(ReminderPreference.objects.get().patient).hours_before == 3
    assert AuditEvent.objects.filter(patient=patient_record, action=Action.CHANGE,
                                     object_type="scheduling.reminderpreference").exists()


@pytest.mark.parametrize(("choices", "field"), [
    ({"hours_before": 0}, "hours_before"),
    ({"hours_before": 73}, "hours_before"),
    ({"channel": "pigeon"}, "channel"),
    ({"quiet_from": None}, "quiet_from"),
])
def test_bad_choices_are_refused_naming_the_field(patient_record, patient_user, choices, field):
    fields = {"channel": "email", "hours_before": 24, "quiet_from": dt.time(21), "quiet_until": dt.time(8)}
    fields.update(choices)
    with pytest.raises(ValidationError) as caught:
        reminders.set_reminder_preference(patient=patient_record, by=patient_user, **fields)
    assert set(caught.value.message_dict) == {field}


def test_text_messages_need_a_phone_number(patient_record, patient_user):
    patient_record.phone = ""
    patient_record.save()
    with pytest.raises(ValidationError) as caught:
        reminders.set_reminder_preference(patient=patient_record, channel="sms", hours_before=24,
                                          quiet_from=dt.time(21), quiet_until=dt.time(8), by=patient_user)
    assert "phone number" in caught.value.message_dict["channel"][0]


@pytest.mark.parametrize(("moment", "quiet"), [
    (dt.time(20, 59), False), (dt.time(21), True), (dt.time(2), True), (dt.time(7, 59), True), (dt.time(8), False),
])
def test_quiet_hours_run_past_midnight(moment, quiet):
    assert reminders.in_quiet_hours(moment, dt.time(21), dt.time(8)) is quiet


def test_equal_quiet_times_mean_no_quiet_hours():
    assert not reminders.in_quiet_hours(dt.time(3), dt.time(0), dt.time(0))


def test_a_moved_session_is_announced_again_at_its_new_time(tomorrow_morning, patient_record, mailoutbox):
    only_for(patient_record)
    reminders.send_due_reminders(now=at(1, 10))
    moved = at(2, 13)
    Session.objects.filter(pk=tomorrow_morning.pk).update(starts_at=moved, ends_at=moved + dt.timedelta(hours=3))
    reminders.send_due_reminders(now=at(1, 14))
    assert len(mailoutbox) == 2
    assert "1:00 PM" in mailoutbox[1].body
    reminders.send_due_reminders(now=at(1, 15))
    assert len(mailoutbox) == 2
