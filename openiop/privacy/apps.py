from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "openiop.privacy"
    label = "privacy"
    verbose_name = "Privacy (HIPAA, 42 CFR Part 2)"
