"""URLs of the clinic's referral screens (included from clinic/urls.py under the clinic namespace)."""

urlpatterns = []
