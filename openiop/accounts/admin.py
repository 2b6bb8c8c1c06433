from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from openiop.accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts and roles. Patient records are not edited here: they go through the clinic
    screens, where every change is audited."""

    list_display = ("username", "first_name", "last_name", "role", "organization", "is_active")
    list_filter = ("role", "is_active", "organization")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Clinic", {"fields": ("role", "organization", "programs", "credentials", "requires_cosignature",
                               "supervisor")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("Clinic", {"fields": ("role", "organization", "credentials")}),
    )
    filter_horizontal = ("programs", "groups", "user_permissions")
    # Linking a login to a patient happens at admission (a later part), never by hand here.
    exclude = ("patient",)
