"""Medications, reconciliation, drug screens (issue 7); included from clinic/urls.py."""

from django.urls import path

from openiop.clinic import medical_views as views

urlpatterns = [
    path("patients/<str:mrn>/medications/", views.patient_medications, name="patient_medications"),
    path("patients/<str:mrn>/medications/reconcile/", views.medication_reconcile, name="medication_reconcile"),
    path("patients/<str:mrn>/medications/summary/", views.medical_summary, name="medical_summary"),
    path("patients/<str:mrn>/drug-screens/", views.patient_drug_screens, name="patient_drug_screens"),
    path("patients/<str:mrn>/drug-screens/new/", views.drug_screen_new, name="drug_screen_new"),
    path("drug-screens/<int:screen_id>/", views.drug_screen_detail, name="drug_screen_detail"),
]
