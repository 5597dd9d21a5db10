"""The widgets written in Python (``config.widgets.WidgetRenderer``) are the very HTML
Django's templates write: every field of the forms the pages show, bound and unbound, with
errors, and a form with every widget kind and values that need escaping."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from bookings.forms import AnalyticsForm, ClaimForm, SeriesChangeForm, TimetableForm
from config.widgets import DateInput, WidgetRenderer
from rooms.forms import RoomWeekForm, SearchForm
from rooms.models import Building, Feature
from teachers.forms import LanguageForm, NotificationSettingsForm
from tests.factories import make_room

CHOICES = [("", "—"), ("a", "A & B"), ('"q"', "<quoted>"), ("Group", [("g1", "One"), ("g2", "Two")])]


class EveryWidget(forms.Form):
    text = forms.CharField(max_length=10, widget=forms.TextInput(attrs={"placeholder": 'a "b" <c>'}))
    number = forms.IntegerField(widget=forms.NumberInput(attrs={"inputmode": "numeric", "disabled": True}))
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    day = forms.DateField(widget=DateInput)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    choice = forms.ChoiceField(
        choices=CHOICES, widget=forms.Select(attrs={"data-times": mark_safe('{"x": 1}')})
    )
    several = forms.MultipleChoiceField(
        choices=CHOICES[1:], widget=forms.CheckboxSelectMultiple, required=False
    )
    one_of = forms.ChoiceField(choices=CHOICES[1:3], widget=forms.RadioSelect)
    flag = forms.BooleanField(required=False)
    email = forms.EmailField(required=False)
    words = forms.CharField(widget=forms.Textarea, required=False)  # Django's own template


def html(form_class, renderer, *args, **kwargs) -> list[str]:
    form = form_class(*args, renderer=renderer, **kwargs)
    form.is_valid() if form.is_bound else None
    written = []
    for field in form:
        written.append(str(field))
        written.extend(str(choice.tag()) for choice in field.subwidgets if hasattr(choice, "tag"))
        written.extend(str(choice) for choice in field)
    return written


def forms_and_data():
    yield EveryWidget, (), {}
    posted = {"text": "<b>&", "number": "x", "choice": '"q"', "several": ["a", "g2"], "one_of": "a"}
    yield EveryWidget, (posted,), {}
    yield SearchForm, (), {}
    yield SearchForm, ({"date": "2026-13-01", "start": "25:00", "capacity": "-1", "feature": ["999"]},), {}
    yield RoomWeekForm, ({"week": "nonsense"},), {}
    yield TimetableForm, (), {}
    yield ClaimForm, ({"start": "", "end": "x"},), {}
    yield AnalyticsForm, (), {}
    yield SeriesChangeForm, ({"period": "x"},), {}
    yield LanguageForm, (), {"teacher": True}
    yield NotificationSettingsForm, (), {}


@pytest.mark.django_db
def test_the_written_widgets_are_the_templates_html():
    building = Building.objects.create(name="North & <South>")
    Feature.objects.create(name='Projector "HD"', slug="projector")
    make_room("Room 1", building=building.name)
    for form_class, args, kwargs in forms_and_data():
        ours = html(form_class, WidgetRenderer(), *args, **kwargs)
        djangos = html(form_class, DjangoTemplates(), *args, **kwargs)
        assert ours == djangos, form_class.__name__
