"""URLs of the attendance screens (included from clinic/urls.py under the clinic namespace)."""

from django.urls import path

from openiop.clinic import attendance_views as views

urlpatterns = [
    path("schedule/sessions/<int:session_id>/attendance/", views.session_attendance, name="session_attendance"),
    path("patients/<str:mrn>/attendance/", views.patient_attendance, name="patient_attendance"),
    path("attendance/hours/", views.attended_hours, name="attended_hours"),
    path("attendance/outreach/<int:task_id>/", views.outreach, name="outreach"),
]
