"""Appointment reminders by email or text message, and the patient's choices about them.

`send_due_reminders` is run every few minutes by a timer (`openiop schedule remind`). For each
patient on the roster of a session that is not cancelled, whose episode is active, it sends
one reminder when the session is within the patient's `hours_before` (24 hours by email when
the patient has chosen nothing), outside their quiet hours in the clinic's time zone. A
reminder that falls due during quiet hours waits: the first run after the quiet hours end
sends it, if the session has not started yet.

Never twice: each reminder is claimed by writing its `ReminderSent` row (unique per session
and patient) before it is sent, so two runs at once cannot both send it. A send that fails
gives the claim back (the row is deleted) and the next run tries again; a patient with no
address for their channel gets a row saying so, and no retry. The guarantee is "at most once":
a crash between claiming and sending loses that one reminder.

What a reminder says. A message can be read by anyone who sees the phone or shares the
inbox, so it says who it is from, the day and time, and a number to call: no program, no
group type, no clinician, no other patient, nothing clinical.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.care.models import EpisodeStatus
from openiop.scheduling import sms
from openiop.scheduling.models import (
    Attendee,
    ReminderChannel,
    ReminderPreference,
    ReminderSent,
    SessionStatus,
)

logger = logging.getLogger(__name__)

DEFAULT_CHANNEL = ReminderChannel.EMAIL
DEFAULT_HOURS_BEFORE = 24
DEFAULT_QUIET_FROM = dt.time(21, 0)
DEFAULT_QUIET_UNTIL = dt.time(8, 0)
MIN_HOURS_BEFORE = 1
MAX_HOURS_BEFORE = 72
EMAIL_SUBJECT = "Appointment reminder"

COUNTS = ("sent", "skipped_quiet", "skipped_no_contact", "skipped_opted_out", "not_due", "failed", "already_sent")
OUTCOME_SENT = "sent"
OUTCOME_SENDING = "sending"
OUTCOME_NO_EMAIL = "not sent: no email address on file"
OUTCOME_NO_PHONE = "not sent: no phone number on file"


@dataclass(frozen=True)
class Choice:
    """A patient's reminder choices (their ReminderPreference, or the defaults)."""

    channel: str = DEFAULT_CHANNEL
    hours_before: int = DEFAULT_HOURS_BEFORE
    quiet_from: dt.time = DEFAULT_QUIET_FROM
    quiet_until: dt.time = DEFAULT_QUIET_UNTIL


def choice_of(patient) -> Choice:
    """The patient's choices; the defaults (email, 24 hours, quiet 21:00-08:00) when none."""
    try:
        preference = patient.reminder_preference
    except ReminderPreference.DoesNotExist:
        return Choice()
    return Choice(channel=preference.channel, hours_before=preference.hours_before,
                  quiet_from=preference.quiet_from, quiet_until=preference.quiet_until)


def in_quiet_hours(moment: dt.time, quiet_from: dt.time, quiet_until: dt.time) -> bool:
    """Whether a wall-clock time falls in quiet hours [from, until); they may run past
    midnight (21:00-08:00). Equal times mean no quiet hours."""
    if quiet_from == quiet_until:
        return False
    if quiet_from < quiet_until:
        return quiet_from <= moment < quiet_until
    return moment >= quiet_from or moment < quiet_until


def email_of(patient) -> str:
    """The patient's email on their record, else their portal login's."""
    if patient.email:
        return patient.email
    # A missing reverse one-to-one raises an AttributeError subclass, so getattr's default applies.
    login = getattr(patient, "portal_user", None)
    return login.email if login is not None and login.is_active else ""


def address_for(patient, channel: str) -> str:
    return email_of(patient) if channel == ReminderChannel.EMAIL else patient.phone.strip()


def clinic_phone(session) -> str:
    """The program's site phone, else the organization's main number."""
    program = session.program
    return program.site.phone or program.organization.phone


def plain_time(moment: dt.datetime) -> str:
    """"6:00 PM" in the clinic's time zone."""
    local = timezone.localtime(moment)
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def plain_day(moment: dt.datetime) -> str:
    """"Tue 1 Dec" in the clinic's time zone."""
    local = timezone.localtime(moment)
    return f"{local:%a} {local.day} {local:%b}"


def reminder_text(session) -> str:
    """The reminder, with nothing clinical in it (see the module docstring)."""
    organization = session.program.organization
    what = "a video appointment" if session.telehealth else "an appointment"
    phone = clinic_phone(session)
    call = f"Please call {phone} if you cannot come." if phone else "Please call us if you cannot come."
    return (f"Reminder from {organization.name}: you have {what} on {plain_day(session.starts_at)} "
            f"at {plain_time(session.starts_at)}. {call}")


def reminder_email_body(session) -> str:
    portal = getattr(settings, "OPENIOP_BASE_URL", "").rstrip("/")
    where = f" ({portal}/portal/)" if portal else ""
    return (f"Hello,\n\n{reminder_text(session)}\n\n"
            f"To change how you get reminders, or to stop them, sign in to your portal{where} "
            "or call us.\n")


# --- sending -----------------------------------------------------------------------------------


def due_candidates(now: dt.datetime):
    """Roster rows that could need a reminder now: the session is not cancelled, starts within
    the longest `hours_before` allowed, the episode is active, and no reminder is recorded."""
    already = ReminderSent.objects.filter(session_id=OuterRef("session_id"), patient_id=OuterRef("patient_id"),
                                          for_starts_at=OuterRef("session__starts_at"))
    return (
        Attendee.objects.filter(
            session__status=SessionStatus.SCHEDULED,
            session__starts_at__gt=now,
            session__starts_at__lte=now + dt.timedelta(hours=MAX_HOURS_BEFORE),
            episode__status=EpisodeStatus.ACTIVE,
        )
        .filter(~Exists(already))
        .select_related(
            "session__program__site", "session__program__organization",
            "patient__reminder_preference", "patient__portal_user",
        )
        .order_by("session__starts_at", "id")
    )


def send_due_reminders(*, now: dt.datetime | None = None) -> dict:
    """Send every reminder due now; return counts by outcome: `sent`, `skipped_quiet` (waits
    for the end of quiet hours), `skipped_no_contact` (recorded, not retried),
    `skipped_opted_out`, `not_due` (the patient's hours_before not reached), `failed` (tried
    again next run), `already_sent` (claimed by a run at the same moment).

    Side effects: one email or text message per reminder sent; a `ReminderSent` row per reminder
    sent or impossible for want of an address; one `create` audit event per row written.
    """
    now = now or timezone.now()
    counts = dict.fromkeys(COUNTS, 0)
    local_time = timezone.localtime(now).time()
    for attendee in due_candidates(now):
        session, patient = attendee.session, attendee.patient
        choice = choice_of(patient)
        if choice.channel == ReminderChannel.NONE:
            counts["skipped_opted_out"] += 1
        elif session.starts_at - now > dt.timedelta(hours=choice.hours_before):
            counts["not_due"] += 1
        elif in_quiet_hours(local_time, choice.quiet_from, choice.quiet_until):
            counts["skipped_quiet"] += 1
        else:
            counts[remind(attendee, choice.channel, now=now)] += 1
    return counts


def remind(attendee: Attendee, channel: str, *, now: dt.datetime) -> str:
    """Send one reminder by `channel`; return the count it falls under."""
    session, patient = attendee.session, attendee.patient
    address = address_for(patient, channel)
    if not address:
        outcome = OUTCOME_NO_EMAIL if channel == ReminderChannel.EMAIL else OUTCOME_NO_PHONE
        claim = _claim(session, patient, channel, now, outcome)
        if claim is None:
            return "already_sent"
        audit.record(user=None, action=Action.CREATE, patient=patient, obj=claim,
                     detail={"reminder": channel, "session": session.pk, "outcome": outcome})
        return "skipped_no_contact"
    claim = _claim(session, patient, channel, now, OUTCOME_SENDING)
    if claim is None:
        return "already_sent"    # another run claimed it a moment ago
    text = reminder_text(session)
    try:
        if channel == ReminderChannel.EMAIL:
            send_mail(EMAIL_SUBJECT, reminder_email_body(session), None, [address])
        else:
            sms.send(address, text)
    except Exception:
        # Any backend's failure (SMTP, a provider's API): give the claim back and try next run.
        logger.exception("Appointment reminder %s for session %s failed", channel, session.pk)
        claim.delete()
        return "failed"
    ReminderSent.objects.filter(pk=claim.pk).update(outcome=OUTCOME_SENT)
    audit.record(user=None, action=Action.CREATE, patient=patient, obj=claim,
                 detail={"reminder": channel, "session": session.pk})
    return "sent"


def _claim(session, patient, channel, now, outcome) -> ReminderSent | None:
    try:
        with transaction.atomic():
            return ReminderSent.objects.create(session=session, patient=patient, channel=channel,
                                               for_starts_at=session.starts_at, sent_at=now, outcome=outcome)
    except IntegrityError:
        return None


# --- the patient's choices ----------------------------------------------------------------------


def set_reminder_preference(*, patient, channel: str, hours_before: int, quiet_from: dt.time,
                            quiet_until: dt.time, by) -> ReminderPreference:
    """Save how the patient wants to be reminded. Raises ValidationError naming the field: an
    unknown channel, hours outside 1-72, email without an email address on file, text messages
    without a phone number.

    Side effects: one `change` audit event about the patient (the fields saved).
    """
    errors = {}
    if channel not in ReminderChannel.values:
        errors["channel"] = "Choose email, text message or no reminders."
    elif channel == ReminderChannel.EMAIL and not email_of(patient):
        errors["channel"] = ("We do not have an email address for you. Choose text message, "
                             "or ask the front desk to add your email.")
    elif channel == ReminderChannel.SMS and not patient.phone.strip():
        errors["channel"] = ("We do not have a phone number for you. Choose email, "
                             "or ask the front desk to add your phone number.")
    if hours_before is None or not MIN_HOURS_BEFORE <= hours_before <= MAX_HOURS_BEFORE:
        errors["hours_before"] = f"Choose a number of hours from {MIN_HOURS_BEFORE} to {MAX_HOURS_BEFORE}."
    if quiet_from is None:
        errors["quiet_from"] = "Enter a time, for example 9:00 PM."
    if quiet_until is None:
        errors["quiet_until"] = "Enter a time, for example 8:00 AM."
    if errors:
        raise ValidationError(errors)
    preference, _ = ReminderPreference.objects.update_or_create(
        patient=patient,
        defaults={"channel": channel, "hours_before": hours_before, "quiet_from": quiet_from,
                  "quiet_until": quiet_until},
    )
    audit.record(user=by, action=Action.CHANGE, patient=patient, obj=preference,
                 detail={"fields": ["channel", "hours_before", "quiet_from", "quiet_until"], "channel": channel})
    return preference
