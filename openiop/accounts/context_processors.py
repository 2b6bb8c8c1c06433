from django.conf import settings

from openiop.accounts.enums import CHART_ROLES, PRIVACY_ROLES


def site(request):
    role = getattr(getattr(request, "user", None), "role", None)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "DEMO_MODE": settings.DEMO_MODE,
        "CAN_OPEN_CHARTS": role in CHART_ROLES,
        "CAN_REVIEW_PRIVACY": role in PRIVACY_ROLES,
        "BREAK_GLASS_HOURS": settings.OPENIOP_BREAK_GLASS_HOURS,
        "LOCKOUT_MINUTES": round(settings.AXES_COOLOFF_TIME * 60),
    }
