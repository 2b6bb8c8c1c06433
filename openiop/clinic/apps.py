from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "openiop.clinic"
    label = "clinic"
