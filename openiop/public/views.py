from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.crypto import salted_hmac
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from openiop.intake.services import create_referral
from openiop.programs.models import Organization
from openiop.public import selfcheck
from openiop.public.forms import (
    BOT_SUSPECTED,
    HONEYPOT_FIELD,
    STARTED_FIELD,
    TOKEN_EXPIRED,
    IntakeRequestForm,
    SelfCheckForm,
    check_bot_signals,
    issue_form_token,
    token_is_usable,
)

# SAMHSA's National Helpline, for treatment questions when no program phone is known.
NATIONAL_HELPLINE = "1-800-662-4357"


def home(request):
    if request.user.is_authenticated:
        return redirect("portal:home" if request.user.is_portal_user else "clinic:home")
    return render(request, "public/home.html")


@never_cache
@require_GET
def healthz(request):
    """Tell a load balancer whether this instance can reach its database (no patient data)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database = "ok"
    except Exception:  # noqa: BLE001 - any failure means "not healthy", reported not raised
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return JsonResponse(
        {"status": "ok" if status == 200 else "error", "database": database,
         "database_vendor": connection.vendor},
        status=status,
    )


def not_found(request, exception=None):
    return render(request, "404.html", status=404)


# --- self-check ------------------------------------------------------------------------------
# Nothing typed here is stored: no database write, no session, no audit event. The answers are
# posted (with CSRF) and the result is rendered from that one request. never_cache keeps the
# browser and any proxy from keeping a copy of the answers.


def _for_whom_from_query(request) -> str:
    value = request.GET.get("for", "")
    return value if value in (selfcheck.FOR_SELF, selfcheck.FOR_FAMILY) else ""


@never_cache
@require_http_methods(["GET", "POST"])
def self_check(request):
    if request.method == "POST":
        form = SelfCheckForm(request.POST)
        if form.is_valid():
            suggestion = selfcheck.suggest(form.cleaned_data)
            context = {"suggestion": suggestion, "levels": selfcheck.LEVELS, "form": form}
            if suggestion.urgent and not form.cleaned_data["seen_crisis_help"]:
                # Stop here: crisis help first; the rest only behind a secondary button.
                return render(request, "public/self_check_crisis.html", context)
            return render(request, "public/self_check_result.html", context)
    else:
        form = SelfCheckForm(initial={"for_whom": _for_whom_from_query(request)})
    return render(request, "public/self_check.html", {"form": form, "safety": selfcheck.SAFETY})


# --- intake request --------------------------------------------------------------------------


def site_organization():
    """The organization this site takes requests for (one per installation), or None."""
    return Organization.objects.order_by("pk").first()


def _requests_per_hour() -> int:
    return getattr(settings, "OPENIOP_INTAKE_REQUESTS_PER_HOUR", 5)


def _rate_key(request) -> str:
    # The cache table should not hold visitors' addresses, so the key is a keyed hash of it.
    # REMOTE_ADDR is the client's address (RequestContextMiddleware resolves trusted proxies).
    address = request.META.get("REMOTE_ADDR") or "unknown"
    digest = salted_hmac("openiop.public.intake-rate", address, algorithm="sha256").hexdigest()
    return f"openiop:intake-requests:{digest[:32]}"


def _over_rate_limit(request) -> bool:
    return (cache.get(_rate_key(request)) or 0) >= _requests_per_hour()


def _count_submission(request) -> None:
    """Count one accepted submission (real or silently dropped) in this address's hour.

    The window starts at the first submission and lasts an hour. The database cache's incr is
    read-then-write, so two requests in the same instant may both count as one; that is fine
    for a limit of a handful per hour."""
    key = _rate_key(request)
    cache.add(key, 0, timeout=60 * 60)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=60 * 60)


@never_cache
@require_http_methods(["GET", "POST"])
def request_intake(request):
    organization = site_organization()
    if organization is None:
        return render(request, "public/request_intake_closed.html", {"helpline": NATIONAL_HELPLINE})
    token = issue_form_token()
    if request.method == "POST":
        if _over_rate_limit(request):
            return render(
                request, "public/request_intake_limited.html",
                {"organization": organization, "helpline": NATIONAL_HELPLINE}, status=429,
            )
        form = IntakeRequestForm(request.POST, organization=organization)
        signals = check_bot_signals(request.POST)
        if signals == BOT_SUSPECTED:
            # Look exactly like a success, so a script learns nothing; create nothing.
            _count_submission(request)
            return redirect("request_intake_sent")
        if token_is_usable(request.POST.get(STARTED_FIELD, "")):
            token = request.POST[STARTED_FIELD]
        if signals == TOKEN_EXPIRED:
            form.is_valid()
            form.add_error(None, "This page was open for a long time, so please check your "
                                 "answers and send the request again.")
        elif form.is_valid():
            try:
                create_referral(
                    actor=None, organization=organization, from_public_request=True,
                    **form.referral_fields(),
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                _count_submission(request)
                return redirect("request_intake_sent")
    else:
        form = IntakeRequestForm(
            organization=organization, initial={"for_whom": _for_whom_from_query(request) or None},
        )
    return render(request, "public/request_intake.html", {
        "form": form, "organization": organization, "token": token,
        "honeypot_field": HONEYPOT_FIELD, "token_field": STARTED_FIELD,
    })


@never_cache
@require_GET
def request_intake_sent(request):
    """The same page for every sender, real or not: it names no one and echoes nothing."""
    return render(request, "public/request_intake_sent.html", {
        "organization": site_organization(), "helpline": NATIONAL_HELPLINE,
    })
