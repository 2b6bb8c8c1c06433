from django.apps import AppConfig


class MedicalConfig(AppConfig):
    name = "openiop.medical"
    verbose_name = "Medications and drug screens"
