"""Plans in the Django admin: only the coping-strategy library.

Plans, versions, their content, signatures, reviews and proposals are patient records: they are
read and written only on the clinic and portal screens, where access is decided by
`visible_to(user)` and every read is audited. The system administrator does not open charts, so
none of them is registered here (not even read-only). The models refuse any change to a signed
version whatever the path. The library is edited here, and only an organization's own
strategies (the built-in ones come with OpenIOP).
"""

from django.contrib import admin

from openiop.plans.models import CopingStrategy


@admin.register(CopingStrategy)
class CopingStrategyAdmin(admin.ModelAdmin):
    """An organization's own strategies are edited here (name, description, active); the
    built-in ones (no organization) are shown read-only."""

    list_display = ("name", "organization", "active")
    list_filter = ("active", "organization")
    fields = ("organization", "name", "description", "active")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None and "organization" in form.base_fields:
            # A new strategy is always an organization's own: built-in ones come in migrations.
            form.base_fields["organization"].required = True
        return form

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # The organization is fixed once a strategy exists; built-in rows are fixed altogether.
        return ("organization",) if obj.organization_id else ("organization", "name", "description", "active")

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.organization_id is None:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Plans point at strategies (PROTECT); an organization retires one by unticking "active".
        return False
