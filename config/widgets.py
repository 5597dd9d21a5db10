"""Form widgets and fields every app shares."""

from datetime import date

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
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


# --- Writing the widgets -----------------------------------------------------------------
#
# Django writes every widget through its templates: a search form's dozen widgets and
# their options cost a search 8 ms (docs/performance.md). ``WidgetRenderer`` writes the
# common ones (inputs, selects, checkbox and radio lists) in Python, to the very same
# HTML as Django's templates (config/tests/test_widgets.py compares them), and leaves any
# other template to Django. Django's templates end in a newline that an include keeps;
# the writers below keep them too, and the renderer strips the outer one, as Django's does.

_TEMPLATES = "django/forms/widgets/"


def _text(value) -> str:
    return conditional_escape(value)


def _attrs(attrs: dict) -> str:
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{_text(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{_text(widget["value"])}"'
    kind, name = _text(widget["type"]), _text(widget["name"])
    return f'<input type="{kind}" name="{name}"{value}{_attrs(widget["attrs"])}>\n'


def _input_option(option: dict) -> str:
    if not option["wrap_label"]:
        return _input(option) + "\n"
    target = option["attrs"].get("id")
    label = f' for="{_text(target)}"' if target else ""
    return f"<label{label}>{_input(option)} {_text(option['label'])}</label>\n"


def _select_option(option: dict) -> str:
    value, label = _text(option["value"]), _text(option["label"])
    return f'<option value="{value}"{_attrs(option["attrs"])}>{label}</option>\n'


def _option(option: dict) -> str:
    return _OPTIONS[option["template_name"]](option)


def _grouped(widget: dict, *, opens: str, each: str, closes: str) -> str:
    """The options of a select or of a list, in their groups (Django's ``optgroups``)."""
    parts = []
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(opens.format(_text(group)))
        parts.extend(each.format(_option(option)) for option in options)
        if group:
            parts.append(closes)
    return "".join(parts)


def _select(widget: dict) -> str:
    options = _grouped(widget, opens='\n  <optgroup label="{}">', each="\n  {}", closes="\n  </optgroup>")
    return f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>{options}\n</select>\n'


def _multiple_input(widget: dict) -> str:
    attrs = widget["attrs"]
    target = f' id="{_text(attrs["id"])}"' if attrs.get("id") else ""
    kind = f' class="{_text(attrs["class"])}"' if attrs.get("class") else ""
    options = _grouped(
        widget, opens="\n  <div><label>{}</label>", each="<div>\n    {}</div>", closes="\n  </div>"
    )
    return f"<div{target}{kind}>{options}\n</div>\n"


_OPTIONS = {
    f"{_TEMPLATES}select_option.html": _select_option,
    f"{_TEMPLATES}checkbox_option.html": lambda option: _input_option(option) + "\n",
    f"{_TEMPLATES}radio_option.html": lambda option: _input_option(option) + "\n",
}
_WRITERS = {
    **{
        f"{_TEMPLATES}{name}.html": _input
        for name in (
            "input",
            "text",
            "number",
            "time",
            "date",
            "hidden",
            "email",
            "password",
            "search",
            "tel",
            "url",
        )
    },
    f"{_TEMPLATES}select.html": _select,
    f"{_TEMPLATES}checkbox_select.html": _multiple_input,
    f"{_TEMPLATES}radio.html": _multiple_input,
    **_OPTIONS,
}


class WidgetRenderer(DjangoTemplates):
    """``FORM_RENDERER``: the common widgets written in Python, the rest by Django."""

    def render(self, template_name, context, request=None):
        write = _WRITERS.get(template_name)
        if write is None or not _writable(context["widget"]):
            return super().render(template_name, context, request)
        return write(context["widget"]).strip()


def _writable(widget: dict) -> bool:
    """Options whose templates are the ones written here (a widget may name its own)."""
    return all(
        option["template_name"] in _OPTIONS
        for _group, options, _index in widget.get("optgroups", ())
        for option in options
    )
