from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "openiop.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self):
        from openiop.accounts import receivers  # noqa: F401  (auth events into the audit trail)
