"""The schedule in the portal: upcoming sessions this week and next, the calendar link, and
reminder choices.

Who sees what:
- The patient sees their own sessions (group, individual, family, medication, drug screen),
  with time, place or video link, and the staff running each. Never the other people on a
  group's roster. They manage their calendar link and reminders here.
- A family member with the patient's portal consent sees only the patient's *family sessions*,
  the ones they are invited to (design.md: family members need "family sessions"). The rest of
  the week (groups, individual therapy, medication visits) is the patient's to share in
  person, as with plans and check-ins, which family members never see. Family members have
  no calendar link or reminder choices here (a feed belongs to one staff member or patient).

Reads go through `visible_to`; writes through scheduling.feeds and scheduling.reminders; every
page is audited (one `view` per patient shown).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from openiop.accounts.enums import Role
from openiop.accounts.models import User
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.clinic.access import shows_patient_data
from openiop.clinic.assessment_forms import ErrorSummaryMixin
from openiop.clinic.assessment_views import add_service_errors
from openiop.patients.models import Patient
from openiop.scheduling import feeds, reminders
from openiop.scheduling.models import ReminderChannel, Session, SessionKind
from openiop.scheduling.rules import local_moment, week_of

PATIENT_ONLY = (Role.PATIENT,)
PATIENT_AND_FAMILY = (Role.PATIENT, Role.FAMILY)
NEW_FEED_SESSION_KEY = "openiop_new_feed"
WEEKS_SHOWN = 2

PLAIN_KINDS = {
    SessionKind.GROUP: "Group session",
    SessionKind.INDIVIDUAL: "Individual session",
    SessionKind.FAMILY: "Family session",
    SessionKind.MEDICATION: "Medication check",
    SessionKind.DRUG_SCREEN: "Drug screen",
}
PLAIN_CHANNELS = {
    ReminderChannel.EMAIL: "by email",
    ReminderChannel.SMS: "by text message",
    ReminderChannel.NONE: "no reminders",
}


@dataclass
class Visit:
    """One session as the portal shows it."""

    session: Session
    kind: str
    place: str
    video_link: str
    staff: list[str]
    cancelled: bool

    @property
    def starts_at(self):
        return self.session.starts_at

    @property
    def ends_at(self):
        return self.session.ends_at


def plain_kind(session: Session) -> str:
    kind = PLAIN_KINDS.get(session.kind, "Appointment")
    if session.kind == SessionKind.GROUP and session.group_type_id:
        return f"{kind}: {session.group_type.name}"
    return kind


def place_of(session: Session) -> str:
    if session.telehealth:
        return "Video visit"
    if not session.room_id:
        return "At the clinic"
    site = session.room.site
    where = ", ".join(part for part in (site.name, site.address) if part)
    return f"{session.room.name}, {where}" if where else session.room.name


def visit_of(session: Session) -> Visit:
    return Visit(
        session=session, kind=plain_kind(session), place=place_of(session),
        video_link=session.video_link if session.telehealth else "",
        staff=[user.get_full_name() or user.username for user in session.staff.all()],
        cancelled=session.is_cancelled,
    )


def window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """From now to the end of next week (Sunday night), in the clinic's time zone."""
    monday = week_of(timezone.localdate(now))
    return now, local_moment(monday + dt.timedelta(weeks=WEEKS_SHOWN), dt.time())


def upcoming(patient: Patient, *, now: dt.datetime, kinds=None) -> list[Visit]:
    """The patient's sessions not yet over, to the end of next week, cancelled ones included
    (so the patient knows not to come); `kinds` narrows them (family: family sessions)."""
    start, end = window(now)
    sessions = Session.objects.filter(attendees__patient=patient, ends_at__gt=start, starts_at__lt=end)
    if kinds is not None:
        sessions = sessions.filter(kind__in=kinds)
    sessions = (sessions.select_related("room__site", "group_type")
                .prefetch_related(Prefetch("staff", queryset=User.objects.order_by("last_name", "first_name")))
                .order_by("starts_at", "id"))
    return [visit_of(session) for session in sessions]


def by_day(visits: list[Visit]) -> list[tuple[dt.date, list[Visit]]]:
    days: dict[dt.date, list[Visit]] = {}
    for visit in visits:
        days.setdefault(timezone.localdate(visit.starts_at), []).append(visit)
    return list(days.items())


def feed_url(request, token: str) -> str:
    path = reverse("feeds:calendar_feed", kwargs={"token": token})
    base = getattr(settings, "OPENIOP_BASE_URL", "").rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def webcal(url: str) -> str:
    """The same link with the webcal: scheme, which phones open as "subscribe to calendar"."""
    for scheme in ("https://", "http://"):
        if url.startswith(scheme):
            return "webcal://" + url.removeprefix(scheme)
    return url


def _own_patient(user) -> Patient:
    patient = (Patient.objects.visible_to(user).filter(pk=user.patient_id)
               .select_related("reminder_preference", "portal_user").first())
    if patient is None:
        raise Http404("No record")
    return patient


# --- the schedule ----------------------------------------------------------------------------


@shows_patient_data(roles=PATIENT_AND_FAMILY, needs_visibility=False, audience="portal")
def schedule(request):
    user = request.user
    now = timezone.now()
    if user.role == Role.FAMILY:
        return _family_schedule(request, now)
    patient = _own_patient(user)
    visits = upcoming(patient, now=now)
    new_token = request.session.pop(NEW_FEED_SESSION_KEY, None)
    new_url = feed_url(request, new_token) if new_token else ""
    choice = reminders.choice_of(patient)
    audit.record(user=user, action=Action.VIEW, patient=patient, detail={"page": "portal schedule"})
    return render(request, "portal/schedule/schedule.html", {
        "patient": patient, "days": by_day(visits), "is_family": False,
        "feed": feeds.active_feed(patient=patient),
        "new_feed_url": new_url, "new_feed_webcal": webcal(new_url),
        "choice": choice, "channel_text": PLAIN_CHANNELS.get(choice.channel, ""),
    })


def _family_schedule(request, now):
    user = request.user
    patients = list(Patient.objects.visible_to(user).order_by("legal_last_name", "legal_first_name", "id"))
    shown = [(patient, by_day(upcoming(patient, now=now, kinds=[SessionKind.FAMILY]))) for patient in patients]
    for patient in patients:
        audit.record(user=user, action=Action.VIEW, patient=patient, detail={"page": "portal schedule (family)"})
    return render(request, "portal/schedule/family.html", {"shown": shown, "is_family": True})


# --- the calendar link -------------------------------------------------------------------------


@shows_patient_data(roles=PATIENT_ONLY, needs_visibility=False, audience="portal")
@require_POST
def make_feed(request):
    """Make a new calendar link (the old one stops working); it is shown once, on the schedule."""
    patient = _own_patient(request.user)
    _, token = feeds.make_feed(patient=patient, by=request.user)
    # Kept in the session only until the next page shows it.
    request.session[NEW_FEED_SESSION_KEY] = token
    return redirect(reverse("portal:schedule") + "#calendar")


@shows_patient_data(roles=PATIENT_ONLY, needs_visibility=False, audience="portal")
@require_POST
def stop_feed(request):
    patient = _own_patient(request.user)
    feed = feeds.active_feed(patient=patient)
    if feed is not None:
        feeds.revoke_feed(feed, by=request.user)
        messages.success(request, "Your calendar link is stopped. Your calendar app will no longer get your appointments.")
    return redirect(reverse("portal:schedule") + "#calendar")


# --- reminders -----------------------------------------------------------------------------------

TIME_FORMATS = ["%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M%p", "%I %p", "%I%p"]


def _time_field(label, *, help_text=""):
    return forms.TimeField(
        label=label, help_text=help_text, input_formats=TIME_FORMATS,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"required": "Enter a time, for example 21:00.",
                        "invalid": "Enter a time, for example 21:00 or 9:00 PM."},
    )


class ReminderForm(ErrorSummaryMixin, forms.Form):
    channel = forms.ChoiceField(
        label="How should we remind you?", widget=forms.RadioSelect,
        choices=[(ReminderChannel.EMAIL, "By email"), (ReminderChannel.SMS, "By text message"),
                 (ReminderChannel.NONE, "No reminders")],
        error_messages={"required": "Choose how we should remind you.",
                        "invalid_choice": "Choose email, text message or no reminders."},
    )
    hours_before = forms.IntegerField(
        label="How many hours before?", min_value=reminders.MIN_HOURS_BEFORE, max_value=reminders.MAX_HOURS_BEFORE,
        help_text="For example 24 for the day before, or 2 for the same day.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": "Enter a number of hours, for example 24.",
            "invalid": "Enter a whole number of hours, for example 24.",
            "min_value": f"Choose at least {reminders.MIN_HOURS_BEFORE} hour.",
            "max_value": f"Choose at most {reminders.MAX_HOURS_BEFORE} hours (3 days).",
        },
    )
    quiet_from = _time_field("Quiet hours start", help_text="We send nothing during quiet hours. A reminder due then comes when they end.")
    quiet_until = _time_field("Quiet hours end")


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=PATIENT_ONLY, needs_visibility=False, audience="portal")
def reminder_choices(request):
    user = request.user
    patient = _own_patient(user)
    choice = reminders.choice_of(patient)
    status = 200
    if request.method == "POST":
        form = ReminderForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                reminders.set_reminder_preference(
                    patient=patient, channel=data["channel"], hours_before=data["hours_before"],
                    quiet_from=data["quiet_from"], quiet_until=data["quiet_until"], by=user,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Your reminder choices are saved.")
                return redirect("portal:schedule")
        status = 400
    else:
        form = ReminderForm(initial={"channel": choice.channel, "hours_before": choice.hours_before,
                                     "quiet_from": choice.quiet_from, "quiet_until": choice.quiet_until})
    audit.record(user=user, action=Action.VIEW, patient=patient, detail={"page": "portal reminder choices"})
    return render(request, "portal/schedule/reminders.html", {
        "patient": patient, "form": form, "email": reminders.email_of(patient), "phone": patient.phone,
    }, status=status)
