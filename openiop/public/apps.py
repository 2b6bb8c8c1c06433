from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "openiop.public"
    label = "public"
