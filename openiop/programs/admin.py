from django.contrib import admin

from openiop.programs.models import CurriculumModule, OnCallShift, Organization, Program, Room, Site


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "phone", "npi")


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "city", "state", "phone")


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "site", "is_part2", "track", "active")
    list_filter = ("kind", "is_part2", "active", "site")


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "site", "capacity")
    list_filter = ("site",)


@admin.register(OnCallShift)
class OnCallShiftAdmin(admin.ModelAdmin):
    list_display = ("program", "clinician", "starts_at", "ends_at")
    list_filter = ("program",)
    date_hierarchy = "starts_at"


@admin.register(CurriculumModule)
class CurriculumModuleAdmin(admin.ModelAdmin):
    list_display = ("title", "topic_area", "organization", "active")
    list_filter = ("topic_area", "active", "organization")
