"""Resources the system administrator sets up: group types and their curricula, staff scheduling
profiles, working hours, time off and group series. Nothing here shows patient data (rosters,
memberships and patient availability are kept out of the admin site)."""

from django.contrib import admin

from openiop.scheduling.models import (
    CurriculumSlot,
    GroupSeries,
    GroupType,
    StaffAvailability,
    StaffProfile,
    TimeOff,
)


class CurriculumSlotInline(admin.TabularInline):
    model = CurriculumSlot
    extra = 1
    ordering = ["position"]


@admin.register(GroupType)
class GroupTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "max_size", "organization", "active")
    list_filter = ("category", "active")
    inlines = [CurriculumSlotInline]


class StaffAvailabilityInline(admin.TabularInline):
    model = StaffAvailability
    fk_name = "user"
    extra = 1


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "gives_individual", "gives_family", "prescribes", "max_weekly_minutes")
    filter_horizontal = ("leads",)


@admin.register(StaffAvailability)
class StaffAvailabilityAdmin(admin.ModelAdmin):
    list_display = ("user", "weekday", "start", "end")
    list_filter = ("weekday",)


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    list_display = ("user", "starts_at", "ends_at", "reason")
    date_hierarchy = "starts_at"


@admin.register(GroupSeries)
class GroupSeriesAdmin(admin.ModelAdmin):
    list_display = ("name", "program", "group_type", "weekday", "start", "minutes", "room", "facilitator", "starts_on", "ends_on")
    list_filter = ("program", "weekday", "group_type")
