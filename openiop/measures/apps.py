from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "openiop.measures"
    verbose_name = "Measurement-based care"
