from django.contrib import admin

from openiop.programs.models import Organization, Program, Room, Site


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
