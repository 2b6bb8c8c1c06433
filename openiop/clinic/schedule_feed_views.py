"""A staff member's own calendar link (`/clinic/schedule/my-feed/`): make it, see when it was
last used, make a new one or stop it.

The feed lists the sessions the staff member runs with neutral titles and rooms only, no
patient names (scheduling/feeds.py), so these pages show no patient data (`staff_only`).
"""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from openiop.clinic.access import staff_only
from openiop.scheduling import feeds

NEW_FEED_SESSION_KEY = "openiop_new_staff_feed"


def _feed_url(request, token: str) -> str:
    path = reverse("feeds:calendar_feed", kwargs={"token": token})
    base = getattr(settings, "OPENIOP_BASE_URL", "").rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


@staff_only
def my_feed(request):
    token = request.session.pop(NEW_FEED_SESSION_KEY, None)
    url = _feed_url(request, token) if token else ""
    return render(request, "clinic/schedule_feed/my_feed.html", {
        "feed": feeds.active_feed(user=request.user), "new_feed_url": url,
        "new_feed_webcal": url.replace("https://", "webcal://", 1).replace("http://", "webcal://", 1),
    })


@staff_only
@require_POST
def make_my_feed(request):
    """A new link (the old one stops working), shown once on the next page."""
    _, token = feeds.make_feed(user=request.user, by=request.user)
    request.session[NEW_FEED_SESSION_KEY] = token
    return redirect("clinic:schedule_my_feed")


@staff_only
@require_POST
def stop_my_feed(request):
    feed = feeds.active_feed(user=request.user)
    if feed is not None:
        feeds.revoke_feed(feed, by=request.user)
        messages.success(request, "Your calendar link is stopped.")
    return redirect("clinic:schedule_my_feed")
