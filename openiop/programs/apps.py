from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "openiop.programs"
    label = "programs"
    verbose_name = "Organization, sites and programs"
