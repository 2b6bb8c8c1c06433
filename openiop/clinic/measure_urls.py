"""URLs of the clinic's measure review screens (included from clinic/urls.py under the clinic
namespace). The answering screens (paper entry, kiosk) have their own URL module."""

from django.urls import path

from openiop.clinic import measure_views as views

urlpatterns = [
    path("measures/due/", views.due_list, name="measures_due"),
    path("measures/outcomes/", views.outcomes, name="measure_outcomes"),
    path("patients/<str:mrn>/measures/", views.patient_measures, name="patient_measures"),
    path("patients/<str:mrn>/measures/summary/", views.patient_measures_summary, name="patient_measures_summary"),
    path("patients/<str:mrn>/measures/add/", views.add_measure, name="add_measure"),
    path("patients/<str:mrn>/measures/cadence/", views.change_cadence, name="change_measure_cadence"),
    path("patients/<str:mrn>/measures/<int:administration_id>/", views.administration_detail, name="measure_detail"),
    path("patients/<str:mrn>/measures/<str:code>/print/", views.print_trend, name="measure_print"),
    path("programs/measures/", views.schedule_programs, name="measure_schedule_programs"),
    path("programs/<slug:code>/measures/", views.program_schedule, name="program_schedule"),
]
