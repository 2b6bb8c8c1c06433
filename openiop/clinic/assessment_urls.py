"""URLs of the clinic's assessment screens (included from clinic/urls.py under the clinic namespace)."""

urlpatterns = []
