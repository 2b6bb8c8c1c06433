from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

# The admin login goes through allauth, so it has MFA and rate limits too.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "OpenIOP administration"

urlpatterns = [
    path("", include("openiop.public.urls")),
    path("accounts/", include("allauth.urls")),
    path("clinic/", include("openiop.clinic.urls")),
    path("portal/", include("openiop.portal.urls")),
    # The clinic tablet check-in (openiop/portal/kiosk.py): reachable without signing in.
    path("kiosk/", include("openiop.portal.kiosk")),
    # Calendar feeds (openiop/scheduling/feeds.py): reachable without signing in, by secret token.
    path("feeds/", include("openiop.scheduling.feed_urls")),
    path("admin/", admin.site.urls),
]

handler404 = "openiop.public.views.not_found"
