"""Pages of the installation itself rather than of booking: the accessibility statement."""

from __future__ import annotations

import functools
from pathlib import Path

import markdown
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

STATEMENT = Path(settings.BASE_DIR) / "docs" / "accessibility.md"


@functools.cache
def _statement_html() -> str:
    """docs/accessibility.md as HTML: one text for the repository and the page, so the
    page says exactly what the project's own test keeps true."""
    return markdown.markdown(STATEMENT.read_text(encoding="utf-8"), extensions=["tables"])


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    """The accessibility statement, for anyone (a barrier may keep someone from signing in)."""
    return render(request, "accessibility.html", {"statement": mark_safe(_statement_html())})
