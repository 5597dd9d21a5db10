from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import AccessToken, Teacher


class NotificationSettingsForm(forms.ModelForm):
    """Email preferences. Changing the address asks for the password: the reset mail goes
    there, so whoever changes it could otherwise take the account from a shared computer."""

    current_password = forms.CharField(
        label=_("Your password (needed to change the address)"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    class Meta:
        model = Teacher
        fields = [
            "email",
            "notify_booking_confirmed",
            "notify_cancelled_by_admin",
            "notify_waitlist_offer",
            "notify_booked_for_me",
            "notify_released",
            "reminder_minutes",
            "request_mail",
        ]
        labels = {"email": _("Email address")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only approvers see it; a form posted without it keeps the choice as it is.
        self.fields["request_mail"].required = False

    def clean_request_mail(self):
        return self.cleaned_data.get("request_mail") or self.instance.request_mail

    def clean(self):
        cleaned = super().clean()
        changed = "email" in self.changed_data and (self.initial.get("email") or "") != cleaned.get(
            "email", ""
        )
        if changed and not self.instance.check_password(cleaned.get("current_password") or ""):
            self.add_error("current_password", _("Enter your password to change your email address."))
        return cleaned


class LanguageForm(forms.Form):
    """The language of pages (and, for a teacher, of their emails). Empty: as the browser
    asks."""

    language = forms.ChoiceField(label=_("Language"), required=False)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, teacher: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        browser = [("", _("As my browser asks"))] if teacher else []
        self.fields["language"].choices = [*browser, *settings.LANGUAGES]


class AccessTokenForm(forms.Form):
    """A new personal access token for the API (docs/api.md)."""

    LIFETIMES = [(30, _("30 days")), (90, _("90 days")), (180, _("180 days")), (365, _("a year"))]

    name = forms.CharField(
        label=_("What it is for"),
        max_length=100,
        help_text=_("e.g. “Signage in the hall” or “My lesson planner”"),
    )
    scope = forms.ChoiceField(
        label=_("It may"),
        choices=AccessToken.Scope.choices,
        initial=AccessToken.Scope.READ,
    )
    days = forms.TypedChoiceField(label=_("Valid for"), choices=LIFETIMES, coerce=int, initial=90)
