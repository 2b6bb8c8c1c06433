from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "openiop.care"
    label = "care"
    verbose_name = "Episodes of care"
