"""Form widgets every app shares."""

from django import forms


class DateInput(forms.DateInput):
    """The browser's date picker. Its value is always ISO 8601 (yyyy-mm-dd), whatever the
    page's language: the picker refuses anything else and shows an empty field."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
