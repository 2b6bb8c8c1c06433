from django.urls import include, path

from openiop.clinic import admission_urls, assessment_urls, measure_urls, referral_urls, views

app_name = "clinic"
urlpatterns = [
    path("", views.home, name="home"),
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/<str:mrn>/", views.patient_chart, name="patient_chart"),
    path("patients/<str:mrn>/emergency-access/", views.break_glass, name="break_glass"),
    path("privacy/", views.privacy_home, name="privacy_home"),
    path("privacy/access-report/", views.access_report_lookup, name="access_report_lookup"),
    path("privacy/access-report/<str:mrn>/", views.access_report, name="access_report"),
    path("privacy/emergency-access/<int:pk>/", views.break_glass_review, name="break_glass_review"),
    # Intake and admission (issue 3): each area keeps its own URL module and views module.
    path("", include(referral_urls)),
    path("", include(assessment_urls)),
    path("", include(admission_urls)),
    # Measures (issue 4): reviewing scores and configuring schedules.
    path("", include(measure_urls)),
    # Measures: paper entry and the tablet check-in (issue 4).
    path("", include("openiop.clinic.measure_entry_views")),
    # Relapse-prevention plans: editor actions, patient proposals, coping-strategy library.
    path("", include("openiop.clinic.rp_urls")),
    # Plan documents: PDFs of plan versions (treatment plan, relapse-prevention sheet, wallet card).
    path("", include("openiop.clinic.plan_document_urls")),
    # Treatment plans: the patient's plans, the draft editor, signatures, reviews, plans due.
    path("", include("openiop.clinic.plan_urls")),
    # Scheduling: the patient's free times (work and school kept free).
    path("", include("openiop.clinic.availability_views")),
    # A staff member's own calendar link (issue 6).
    path("", include("openiop.clinic.schedule_feed_urls")),
    # Schedule (issue 6): calendars, the today board, sessions, group series, weekly hours, the solver.
    path("", include("openiop.clinic.schedule_urls")),
    # Attendance (issue 7): rosters taken in the room, outreach after absences, weekly attended hours.
    path("", include("openiop.clinic.attendance_urls")),
    # Clinical notes (issue 7): group notes written once, individual notes, signing, addenda, co-signs.
    path("", include("openiop.clinic.note_urls")),
    # Medications, medications for addiction treatment, drug screens (issue 7).
    path("", include("openiop.clinic.medical_urls")),
]
