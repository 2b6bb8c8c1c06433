"""URLs of the clinic's admission screens (included from clinic/urls.py under the clinic namespace)."""

urlpatterns = []
