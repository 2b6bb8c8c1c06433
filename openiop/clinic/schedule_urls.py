"""URLs of the clinic's schedule screens (included from clinic/urls.py under the clinic
namespace). The patient's free times have their own module (availability_views)."""

from django.urls import path

from openiop.clinic import schedule_views as views

urlpatterns = [
    path("schedule/", views.week, name="schedule_week"),
    path("schedule/day/", views.day, name="schedule_day"),
    path("schedule/today/", views.today, name="schedule_today"),
    path("schedule/sessions/new/", views.book, name="schedule_book"),
    path("schedule/sessions/<int:session_id>/", views.session_detail, name="schedule_session"),
    path("schedule/sessions/<int:session_id>/move/", views.session_move, name="schedule_session_move"),
    path("schedule/sessions/<int:session_id>/cancel/", views.session_cancel, name="schedule_session_cancel"),
    path("schedule/sessions/<int:session_id>/add/", views.session_add_patient, name="schedule_session_add"),
    path("schedule/sessions/<int:session_id>/remove/", views.session_remove_patient, name="schedule_session_remove"),
    path("schedule/series/", views.series_list, name="schedule_series"),
    path("schedule/series/join/", views.series_add_member, name="schedule_series_join"),
    path("schedule/dose/", views.dose, name="schedule_dose"),
    path("schedule/solve/", views.solve, name="schedule_solve"),
    path("schedule/solve/<int:run_id>/", views.solve_run, name="schedule_solve_run"),
    path("patients/<str:mrn>/schedule/", views.patient_schedule, name="patient_schedule"),
    path("patients/<str:mrn>/schedule/join/", views.patient_join_series, name="patient_schedule_join"),
    path("patients/<str:mrn>/schedule/leave/", views.patient_leave_series, name="patient_schedule_leave"),
    path("patients/<str:mrn>/schedule/fit/", views.patient_fit_week, name="patient_schedule_fit"),
]
