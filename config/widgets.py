"""Form widgets and fields every app shares."""

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _


class DateInput(forms.DateInput):
    """The browser's date picker. Its value is always ISO 8601 (yyyy-mm-dd), whatever the
    page's language: the picker refuses anything else and shows an empty field."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class SchoolDateField(forms.DateField):
    """A date a school could mean: years 2000 to 2999. Anything further (0001-01-01,
    9999-12-31) is a 400 naming the field, not an overflow somewhere in date arithmetic."""

    EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)
    widget = DateInput

    def validate(self, value):
        super().validate(value)
        if value and not self.EARLIEST <= value <= self.LATEST:
            message = _("Choose a date from %(first)s to %(last)s.")
            raise forms.ValidationError(message % {"first": self.EARLIEST.year, "last": self.LATEST.year})
