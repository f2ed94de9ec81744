"""`{{ exercise.name|exercise_text }}`: an exercise's stored text in the reader's language when it
is a starter text StepWise ships, else exactly as staff wrote it (plans.library.exercise_text)."""

from __future__ import annotations

from django import template

from plans.library import exercise_text as _exercise_text

register = template.Library()


@register.filter
def exercise_text(text):
    return _exercise_text(text)
