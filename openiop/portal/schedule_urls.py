"""URLs of the schedule in the portal; included from portal/urls.py under the portal namespace."""

from django.urls import path

from openiop.portal import schedule_views as views

urlpatterns = [
    path("schedule/", views.schedule, name="schedule"),
    path("schedule/calendar-link/new/", views.make_feed, name="schedule_feed_new"),
    path("schedule/calendar-link/stop/", views.stop_feed, name="schedule_feed_stop"),
    path("schedule/reminders/", views.reminder_choices, name="schedule_reminders"),
]
