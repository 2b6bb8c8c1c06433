"""Calendar feeds: a secret iCalendar URL per staff member or patient that a phone or calendar
app subscribes to (`/feeds/<token>.ics`, no sign-in).

What a feed shows. A calendar on a phone is seen by whoever looks at the phone, and calendar
apps sync to other services, so an event says only when and where: the title is a neutral
"Group session", "Individual session", "Family session", "Medication visit" or "Appointment"
(a drug screen), never a group type ("Relapse prevention" names the program), a program,
a diagnosis or another patient. LOCATION is the room's name, or "Video visit"; a video visit
carries its link (URL and DESCRIPTION), since the feed belongs to someone who attends it.
Cancelled sessions are left out (the calendar app then removes them). The window is four
weeks back to twelve weeks ahead.

Secrets. The token is 32 random bytes (`secrets.token_urlsafe`); only its SHA-256 is stored, so
the URL is shown once when it is made and cannot be read back. Making a new link revokes the
owner's previous one; a revoked or unknown token is a 404.

Audit. A patient's feed is that patient's schedule: every fetch records one `view` event in
their access report, as the actor "calendar-feed" (no user is signed in). Calendar apps poll
about hourly, so a subscribed patient's report shows about one event an hour; that is the true
record of how often the schedule left the system. A staff member's feed names no patient
(titles are neutral, rosters are not included), so it is not patient data and is not audited
per patient; `last_used_at` records that it is in use.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from contextlib import contextmanager

from django.db import transaction
from django.utils import timezone

from openiop.audit import services as audit
from openiop.audit.context import Origin, current_origin, reset_origin, set_origin
from openiop.audit.models import Action
from openiop.scheduling.models import CalendarFeed, Session, SessionKind, SessionStatus

FEED_PAST = dt.timedelta(weeks=4)
FEED_AHEAD = dt.timedelta(weeks=12)
FEED_ACTOR = "calendar-feed"
FEED_AUDIT_PATH = "/feeds/<token>.ics"
VIDEO_VISIT = "Video visit"

# Titles safe on a lock screen: the kind of meeting, nothing about why.
NEUTRAL_TITLES = {
    SessionKind.GROUP: "Group session",
    SessionKind.INDIVIDUAL: "Individual session",
    SessionKind.FAMILY: "Family session",
    SessionKind.MEDICATION: "Medication visit",
    # "Drug screen" would say substance-use treatment to anyone who sees the calendar.
    SessionKind.DRUG_SCREEN: "Appointment",
}


def neutral_title(session: Session) -> str:
    return NEUTRAL_TITLES.get(session.kind, "Appointment")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- making and revoking links --------------------------------------------------------------


@transaction.atomic
def make_feed(*, user=None, patient=None, by) -> tuple[CalendarFeed, str]:
    """Make a new feed for one owner (a staff `user` or a `patient`) and return it with its
    token, which is not stored and cannot be shown again.

    Side effects: the owner's active feed, if any, is revoked; one `create` audit event (about
    the patient for a patient's feed).
    """
    if (user is None) == (patient is None):
        raise ValueError("A feed belongs to exactly one staff member or one patient.")
    owner = {"user": user} if user is not None else {"patient": patient}
    now = timezone.now()
    revoked = CalendarFeed.objects.filter(**owner, revoked_at__isnull=True).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(**owner, token_hash=token_hash(token), created_by=by)
    audit.record(user=by, action=Action.CREATE, patient=patient, obj=feed,
                 detail={"calendar_feed": "made", "revoked_previous": revoked})
    return feed, token


def revoke_feed(feed: CalendarFeed, *, by) -> CalendarFeed:
    """Stop a feed's link working (the row stays, with when it was revoked).

    Side effects: one `change` audit event (about the patient for a patient's feed); nothing
    when the feed was already revoked.
    """
    if feed.revoked_at is not None:
        return feed
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at"])
    audit.record(user=by, action=Action.CHANGE, patient=feed.patient, obj=feed,
                 detail={"calendar_feed": "revoked"})
    return feed


def active_feed(*, user=None, patient=None) -> CalendarFeed | None:
    """The owner's working feed, if they have one."""
    owner = {"user": user} if user is not None else {"patient": patient}
    return CalendarFeed.objects.filter(**owner, revoked_at__isnull=True).first()


# --- reading a feed ------------------------------------------------------------------------------


def feed_for_token(token: str) -> CalendarFeed | None:
    """The active feed with this token, or None (unknown, revoked, or its owner's account
    deactivated: the staff member's, or the patient's portal login, which is how access is
    taken away from someone who should no longer see the schedule). Side effect:
    `last_used_at` set to now."""
    if not token:
        return None
    feed = (CalendarFeed.objects.filter(token_hash=token_hash(token), revoked_at__isnull=True)
            .select_related("user", "patient__portal_user").first())
    if feed is None or (feed.user_id is not None and not feed.user.is_active):
        return None
    # A missing reverse one-to-one raises an AttributeError subclass, so getattr's default applies.
    login = getattr(feed.patient, "portal_user", None) if feed.patient_id is not None else None
    if login is not None and not login.is_active:
        return None
    now = timezone.now()
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    feed.last_used_at = now
    return feed


def feed_sessions(feed: CalendarFeed, *, now: dt.datetime | None = None):
    """The owner's sessions in the feed's window, not cancelled, in time order: a staff member's
    sessions where they are staff; a patient's where they are on the roster."""
    now = now or timezone.now()
    sessions = Session.objects.filter(
        starts_at__gte=now - FEED_PAST, starts_at__lt=now + FEED_AHEAD,
    ).exclude(status=SessionStatus.CANCELLED)
    if feed.user_id is not None:
        sessions = sessions.filter(staff=feed.user_id)
    else:
        sessions = sessions.filter(attendees__patient_id=feed.patient_id)
    return sessions.select_related("room").order_by("starts_at", "id")


def event_uid(session: Session) -> str:
    """Stable per session, so an updated session replaces its event. Like PRODID it avoids the
    product's name: "IOP" says intensive outpatient treatment to whoever reads the raw file."""
    return f"session-{session.pk}@calendar-feed"


def location_of(session: Session) -> str:
    if session.telehealth:
        return VIDEO_VISIT
    return session.room.name if session.room_id else ""


def feed_ics(feed: CalendarFeed, *, now: dt.datetime | None = None) -> bytes:
    """The feed as an iCalendar document (RFC 5545), times in UTC. No audit: see `read_feed`."""
    from icalendar import Calendar, Event

    now = now or timezone.now()
    calendar = Calendar()
    calendar.add("prodid", "-//Appointments//Calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "My sessions" if feed.user_id is not None else "My appointments")
    # Ask calendar apps to check once an hour (some honour one, some the other).
    calendar.add("x-published-ttl", "PT1H")
    stamp = now.astimezone(dt.UTC)
    for session in feed_sessions(feed, now=now):
        event = Event()
        event.add("uid", event_uid(session))
        event.add("dtstamp", stamp)
        event.add("dtstart", session.starts_at.astimezone(dt.UTC))
        event.add("dtend", session.ends_at.astimezone(dt.UTC))
        event.add("summary", neutral_title(session))
        if location := location_of(session):
            event.add("location", location)
        if session.telehealth and session.video_link:
            event.add("url", session.video_link)
            event.add("description", f"Join the video visit: {session.video_link}")
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return calendar.to_ical()


@contextmanager
def _as_feed_actor():
    """Audit as "calendar-feed": the request has no signed-in user, only the secret URL. The
    path is replaced too: the request's path holds the token, which must not reach the trail."""
    origin = current_origin()
    token = set_origin(Origin(request_id=origin.request_id, ip=origin.ip, path=FEED_AUDIT_PATH, system_actor=FEED_ACTOR))
    try:
        yield
    finally:
        reset_origin(token)


def read_feed(token: str, *, now: dt.datetime | None = None) -> bytes | None:
    """The iCalendar document for `token`, or None when no active feed has it.

    Side effects: the feed's `last_used_at`; for a patient's feed one `view` audit event about
    the patient (actor "calendar-feed", the number of events in `detail`).
    """
    feed = feed_for_token(token)
    if feed is None:
        return None
    document = feed_ics(feed, now=now)
    if feed.patient_id is not None:
        with _as_feed_actor():
            audit.record(user=None, action=Action.VIEW, patient=feed.patient, obj=feed,
                         detail={"page": "calendar feed", "events": document.count(b"BEGIN:VEVENT")})
    return document
