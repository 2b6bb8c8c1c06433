from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "openiop.plans"
    verbose_name = "Treatment and relapse-prevention plans"
