from django import forms

from .models import Teacher


class NotificationSettingsForm(forms.ModelForm):
    """Email preferences. Changing the address asks for the password: the reset mail goes
    there, so whoever changes it could otherwise take the account from a shared computer."""

    current_password = forms.CharField(
        label="Your password (needed to change the address)",
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
        ]
        labels = {"email": "Email address"}

    def clean(self):
        cleaned = super().clean()
        changed = "email" in self.changed_data and (self.initial.get("email") or "") != cleaned.get(
            "email", ""
        )
        if changed and not self.instance.check_password(cleaned.get("current_password") or ""):
            self.add_error("current_password", "Enter your password to change your email address.")
        return cleaned
