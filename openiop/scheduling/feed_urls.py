"""The public calendar feed URL, `/feeds/<token>.ics`: no sign-in, the secret token is the key
(scheduling/feeds.py). Unknown and revoked tokens get the same 404 as any missing page."""

from django.http import Http404, HttpResponse
from django.urls import path
from django.views.decorators.http import require_safe

from openiop.scheduling import feeds

app_name = "feeds"


@require_safe
def calendar_feed(request, token):
    document = feeds.read_feed(token)
    if document is None:
        raise Http404("No such calendar")
    response = HttpResponse(document, content_type="text/calendar; charset=utf-8")
    # Only the subscriber's own calendar app may keep a copy; no shared cache, no search engine.
    response["Cache-Control"] = "private, max-age=0"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Content-Disposition"] = 'inline; filename="appointments.ics"'
    return response


urlpatterns = [
    path("<str:token>.ics", calendar_feed, name="calendar_feed"),
]
