"""URLs of a staff member's own calendar link; included from clinic/urls.py under the clinic namespace."""

from django.urls import path

from openiop.clinic import schedule_feed_views as views

urlpatterns = [
    path("schedule/my-feed/", views.my_feed, name="schedule_my_feed"),
    path("schedule/my-feed/new/", views.make_my_feed, name="schedule_my_feed_new"),
    path("schedule/my-feed/stop/", views.stop_my_feed, name="schedule_my_feed_stop"),
]
