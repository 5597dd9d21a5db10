from axes.utils import reset as axes_reset
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.imports import ImportFileForm, ImportFromFileMixin, Outcome

from . import staff_import
from .models import Teacher


class StaffListForm(ImportFileForm):
    deactivate_missing = forms.BooleanField(
        label=_("Deactivate teachers who are not in the file (not staff) and cancel their upcoming bookings"),
        required=False,
    )


@admin.register(Teacher)
class TeacherAdmin(ImportFromFileMixin, UserAdmin):
    list_display = ("username", "display_name", "code", "email", "is_staff", "is_active", "last_login")
    search_fields = ("username", "display_name", "code", "first_name", "last_name", "email")
    fieldsets = (
        (None, {"fields": ("username", "password", "language")}),
        (_("Teacher"), {"fields": ("display_name", "first_name", "last_name", "email", "code")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "display_name", "password1", "password2")}),
    )

    actions = ("unlock_sign_in",)
    import_form = StaffListForm
    import_help = "admin/teachers/staff_file_help.html"

    def import_rows(self, data: bytes, *, dry_run: bool, deactivate_missing: bool) -> Outcome:
        return staff_import.apply(
            staff_import.read(data), dry_run=dry_run, deactivate_missing=deactivate_missing
        )

    @admin.action(description=_("Unlock sign-in for the selected teachers (after too many failed logins)"))
    def unlock_sign_in(self, request, queryset):
        unlocked = sum(axes_reset(username=teacher.username) for teacher in queryset)
        message = ngettext(
            "Cleared %(count)d failed-login record.", "Cleared %(count)d failed-login records.", unlocked
        )
        self.message_user(request, message % {"count": unlocked}, messages.SUCCESS)
