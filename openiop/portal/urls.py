from django.urls import include, path

from openiop.portal import measure_views, plan_document_views, plan_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("my-record/", views.my_record, name="my_record"),
    # Check-ins (measures): the patient answers and follows their own scores.
    path("check-ins/", measure_views.check_in_list, name="check_ins"),
    path("check-ins/<int:administration_id>/", measure_views.answer, name="check_in"),
    path("check-ins/<int:administration_id>/sent/", measure_views.sent, name="check_in_sent"),
    path("progress/", measure_views.progress, name="progress"),
    # Plans: the patient's signed plans, suggestions to the relapse-prevention plan, signing.
    path("plans/", plan_views.my_plans, name="plans"),
    path("plans/sign/<int:version_id>/", plan_views.sign_plan, name="sign_plan"),
    # The patient's own plan PDFs (signed versions only).
    path("plans/<int:version_id>/pdf/", plan_document_views.plan_pdf, name="plan_pdf"),
    # The schedule: upcoming sessions, the calendar link and reminder choices (issue 6).
    path("", include("openiop.portal.schedule_urls")),
    # The patient's own recovery date (issue 7): they set, change or clear it.
    path("", include("openiop.portal.recovery_views")),
]
