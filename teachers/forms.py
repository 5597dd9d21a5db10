from django import forms

from .models import Teacher


class NotificationSettingsForm(forms.ModelForm):
    class Meta:
        model = Teacher
        fields = ["email", "notify_booking_confirmed", "notify_cancelled_by_admin", "notify_waitlist_offer"]
        labels = {"email": "Email address"}
