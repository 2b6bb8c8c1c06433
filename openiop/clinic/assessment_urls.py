"""URLs of the clinic's assessment screens (included from clinic/urls.py under the clinic namespace)."""

from django.urls import path

from openiop.clinic import assessment_views as views

urlpatterns = [
    path("referrals/<int:referral_id>/screening/", views.referral_screening, name="referral_screening"),
    path("referrals/<int:referral_id>/assessment/", views.referral_assessment, name="referral_assessment"),
    path("tasks/<int:task_id>/done/", views.complete_task, name="complete_task"),
]
