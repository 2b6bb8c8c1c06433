"""URLs of plan documents (PDFs) in the clinic; included from clinic/urls.py under the clinic namespace."""

from django.urls import path

from openiop.clinic import plan_document_views as views

urlpatterns = [
    path("patients/<str:mrn>/plans/versions/<int:version_id>/pdf/", views.version_pdf, name="plan_version_pdf"),
]
