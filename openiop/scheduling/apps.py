from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "openiop.scheduling"
    verbose_name = "Scheduling"
