import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect

from openiop.audit import services as audit

# Paths a signed-in staff member without MFA may still reach: enrolment itself, logout,
# static files and the load balancer's health check.
MFA_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz")
LAST_SEEN_KEY = "openiop_last_seen"
# Refresh the last-seen time at most this often, so reading pages does not write the session
# on every request; the idle limit is then exact to within this many seconds.
LAST_SEEN_RESOLUTION_SECONDS = 60


class IdleTimeoutMiddleware:
    """Sign a person out after a period without requests (HIPAA automatic logoff).

    Staff get OPENIOP_STAFF_IDLE_SECONDS (15 minutes by default); patients and families get
    the longer OPENIOP_PORTAL_IDLE_SECONDS. The clock is the time of the last request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            now = time.time()
            limit = (
                settings.OPENIOP_PORTAL_IDLE_SECONDS
                if user.is_portal_user
                else settings.OPENIOP_STAFF_IDLE_SECONDS
            )
            last_seen = request.session.get(LAST_SEEN_KEY)
            if last_seen is not None and now - last_seen > limit:
                audit.record_auth_event(user=user, action="idle_logout", request=request)
                logout(request)
                messages.info(request, "You were signed out after a period of inactivity.")
                return redirect(f"{settings.LOGIN_URL_PATH}?next={request.path}")
            if last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class RequireStaffMFAMiddleware:
    """Send staff without an authenticator to MFA enrolment (allauth cannot force MFA itself)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            settings.OPENIOP_REQUIRE_STAFF_MFA
            and user.is_authenticated
            and (user.is_clinic_staff or user.is_staff or user.is_superuser)
            and not request.path.startswith(MFA_EXEMPT_PREFIXES)
            and not _has_mfa(user)
        ):
            messages.warning(
                request, "Set up two-factor authentication before using OpenIOP."
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)


def _has_mfa(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
