from django.apps import AppConfig


class WorklistConfig(AppConfig):
    name = "openiop.worklist"
    label = "worklist"
    verbose_name = "Tasks and alerts"
