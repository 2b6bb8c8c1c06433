from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "openiop.audit"
    label = "audit"
    verbose_name = "Audit trail"
