from django.urls import path

from openiop.public import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("self-check/", views.self_check, name="self_check"),
    path("request-intake/", views.request_intake, name="request_intake"),
    path("request-intake/sent/", views.request_intake_sent, name="request_intake_sent"),
]
