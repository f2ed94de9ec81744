"""/me/'s notice "A short questionnaire is waiting", loaded by the plans' dashboard template (a
template `{% load %}`, so `plans` never imports `outcomes`). One query."""

from __future__ import annotations

from django import template
from django.utils import timezone

from outcomes.selectors import waiting_questionnaire

register = template.Library()


@register.inclusion_tag("outcomes/patient/_waiting.html")
def questionnaire_waiting(patient):
    today = patient.local_date(timezone.now())
    return {"questionnaire": waiting_questionnaire(patient, today)}
