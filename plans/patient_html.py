"""Small repeated HTML of the patient's pages, built in Python rather than in a template loop.

/me/ shows a dozen exercise cards on every visit; drawn by the template, each card's filters and
tags cost more than the rest of the page's content together. Here they are the same markup,
escaped the same way (`format_html` escapes as autoescaping does; `linebreaksbr` is the template
filter itself), in the reader's language at the time of drawing.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby

from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from plans.library import exercise_text
from plans.models import Exercise, ExerciseCategory

_GROUP = '\n        <h3 class="h5 mt-3">{}</h3>\n        <div class="row g-3">{}\n        </div>'
_CARD = (
    '\n          <div class="col-md-6">\n'
    '            <article class="card h-100 exercise" aria-labelledby="exercise-{}">\n'
    '              <div class="card-body">\n'
    '                <h4 class="h5 card-title" id="exercise-{}">{}</h4>\n'
    '                <p class="mb-2">{}</p>\n'
    "                {}\n"
    "              </div>\n"
    "            </article>\n"
    "          </div>"
)
_CAUTION = '<p class="mb-0 caution"><span class="fw-semibold">{}</span> {}</p>'


def _heading(category: str, label: str) -> str:
    if category == ExerciseCategory.FLEXIBILITY:
        return _("Stretches")
    if category == ExerciseCategory.CORE:
        return pgettext("exercise group", "Core")
    return label


def exercise_groups(exercises: Iterable[Exercise]) -> SafeString:
    """The exercises' cards under a heading per category, in the order given (consecutive
    exercises of one category share a heading, as `{% regroup %}` grouped them)."""
    take_care = _("Take care:")
    groups = []
    for category, group in groupby(exercises, key=lambda exercise: exercise.category):
        cards = []
        label = ""
        for exercise in group:
            label = label or exercise.get_category_display()
            caution = (
                format_html(_CAUTION, take_care, _text(exercise.cautions))
                if exercise.cautions
                else ""
            )
            cards.append(
                (
                    exercise.pk,
                    exercise.pk,
                    exercise_text(exercise.name),
                    _text(exercise.instructions),
                    caution,
                )
            )
        groups.append((_heading(category, label), format_html_join("", _CARD, cards)))
    return format_html_join("", _GROUP, groups)


def _text(stored: str) -> SafeString:
    """A stored exercise text as `{{ text|exercise_text|linebreaksbr }}` shows it."""
    return linebreaksbr(exercise_text(stored), autoescape=True)
