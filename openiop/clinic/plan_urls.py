"""URLs of the clinic's treatment-plan screens (included from clinic/urls.py under the clinic
namespace). The relapse-prevention editor has its own URL module."""

from django.urls import path

from openiop.clinic import plan_views as views

urlpatterns = [
    path("plans/due/", views.plans_due, name="plans_due"),
    path("patients/<str:mrn>/plans/", views.patient_plans, name="patient_plans"),
    path("patients/<str:mrn>/plans/summary/", views.plans_summary, name="plans_summary"),
    path("patients/<str:mrn>/plans/<int:plan_id>/revise/", views.start_revision, name="plan_start_revision"),
    path("patients/<str:mrn>/plans/<int:plan_id>/review/", views.review_plan, name="plan_review"),
    path("patients/<str:mrn>/plans/reviews/<int:review_id>/", views.review_detail, name="plan_review_detail"),
    path("patients/<str:mrn>/plans/versions/<int:version_id>/", views.plan_version, name="plan_version"),
    path("patients/<str:mrn>/plans/versions/<int:version_id>/patient-signs/", views.patient_signs,
         name="plan_patient_signs"),
    path("patients/<str:mrn>/plans/versions/<int:version_id>/cosign/", views.cosign, name="plan_cosign"),
]
