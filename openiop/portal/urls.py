from django.urls import path

from openiop.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("my-record/", views.my_record, name="my_record"),
]
