"""Notes in the Django admin: metadata only, read-only.

Notes are patient records: they are read and written on the clinic screens, where access is
decided by `visible_to(user)` and every read is audited. The system administrator sees here only
what a note is (kind, status, when signed, program), never its text or its patient, and changes
nothing: signed notes are immutable on every path (the models refuse it too), and a draft is
changed only through the services (name check, objectives, codes).
"""

from django.contrib import admin

from openiop.documentation.models import GroupNote, Note


class ReadOnlyMetadataAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Note)
class NoteAdmin(ReadOnlyMetadataAdmin):
    list_display = ("id", "kind", "template", "status", "signed_at", "program_of_origin")
    list_filter = ("kind", "status")
    fields = ("kind", "template", "status", "created_at", "signed_at", "cosign_required", "program_of_origin")
    readonly_fields = fields


@admin.register(GroupNote)
class GroupNoteAdmin(ReadOnlyMetadataAdmin):
    list_display = ("id", "session_id", "status", "signed_at", "program")
    list_filter = ("status",)
    fields = ("status", "created_at", "signed_at", "program")
    readonly_fields = fields
