from django import template

from openiop.demo import data

register = template.Library()


@register.simple_tag
def demo_usernames() -> list[str]:
    """Every demo login, in the order `openiop demo` prints them (static data, no query)."""
    return [spec.username for spec in data.STAFF] + ["patient", "family"]
