from django.apps import AppConfig


class DocumentationConfig(AppConfig):
    name = "openiop.documentation"
    verbose_name = "Clinical documentation"
