"""URLs of the clinic's referral screens (included from clinic/urls.py under the clinic namespace)."""

from django.urls import path

from openiop.clinic import referral_views as views

urlpatterns = [
    path("referrals/", views.referral_board, name="referral_board"),
    path("referrals/new/", views.new_referral, name="new_referral"),
    path("referrals/waitlist/", views.referral_waitlist, name="referral_waitlist"),
    path("referrals/metrics/", views.referral_metrics, name="referral_metrics"),
    path("referrals/<int:referral_id>/", views.referral_detail, name="referral_detail"),
    path("referrals/<int:referral_id>/move/", views.move_referral, name="move_referral"),
    path("referrals/<int:referral_id>/close/", views.close_referral, name="close_referral"),
    path("referrals/<int:referral_id>/note/", views.add_note, name="referral_note"),
    path("referrals/<int:referral_id>/insurance/", views.verify_insurance, name="verify_insurance"),
    path("referrals/<int:referral_id>/waitlist/", views.waitlist, name="waitlist_referral"),
]
