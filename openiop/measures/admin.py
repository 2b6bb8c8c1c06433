"""On-call shifts are in programs/admin.py; program schedules are edited on the clinic's program
measures page. Imported instruments are listed here read-only: a new version is a new import."""

from django.contrib import admin

from openiop.measures.models import ImportedInstrument


@admin.register(ImportedInstrument)
class ImportedInstrumentAdmin(admin.ModelAdmin):
    list_display = ("code", "version", "organization", "imported_by", "imported_at", "active")
    list_filter = ("organization", "active")
    readonly_fields = ("organization", "code", "version", "questionnaire", "imported_by", "imported_at")

    def has_add_permission(self, request):
        # Imports go through `openiop measures import-questionnaire`, which validates the file.
        return False
