from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


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
