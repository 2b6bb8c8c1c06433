"""URLs of the clinic's admission screens (included from clinic/urls.py under the clinic namespace)."""

from django.urls import path

from openiop.clinic import admission_views as views

urlpatterns = [
    path("referrals/<int:referral_id>/admit/", views.referral_admit, name="referral_admit"),
    path("patients/<str:mrn>/level-of-care/", views.change_level_of_care, name="change_level_of_care"),
    path("census/", views.census, name="census"),
]
