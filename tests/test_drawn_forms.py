"""The record's plan-control forms are drawn in Python (plans/forms_clinic/draw.py) with the markup
crispy-forms' bootstrap5 pack gives them. These tests draw each form both ways, unbound and with
errors, and compare the HTML as HTML (whitespace and attribute order aside): a crispy upgrade or a
new field that the Python drawing does not know fails here, not silently on the page."""

from __future__ import annotations

from datetime import date

import pytest
from django.template import Context, Template
from django.test.utils import override_settings
from django.utils import translation

from plans import engine
from plans.forms_clinic.plan_control import PauseForm, ResumeForm, StageForm
from plans.forms_clinic.rules import RulesForm

CRISPY = Template("{% load crispy_forms_tags %}{% crispy form %}")


def _forms(data: dict | None):
    """Each plan-control form as the record builds it, bound to `data` when given."""
    rules = engine.Rules(
        start_minutes=15, min_increment=5, max_increment=8, target_minutes=45, sessions_per_week=3
    )
    return {
        "pause": PauseForm(data, prefix="pause"),
        "resume": ResumeForm(data, prefix="resume", initial={"start_minutes": 10}, ceiling=30),
        "rules": RulesForm(data, prefix="rules", initial=RulesForm.initial_from(rules)),
        "stage": StageForm(
            data,
            prefix="stage",
            initial={"stage": 2, "allowed_activities": ["walking"]},
            today=date(2026, 12, 4),
        ),
    }


# Every field wrong or missing: required marks, error texts and their ids, aria attributes.
BAD = {
    "pause-reason": "",
    "resume-start_minutes": "300",
    "rules-start_minutes": "1",
    "rules-min_increment": "",
    "rules-max_increment": "x",
    "rules-target_minutes": "500",
    "rules-sessions_per_week": "0",
    "stage-stage": "9",
    "stage-allowed_activities": ["flying"],
}


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("data", [None, BAD], ids=["unbound", "with errors"])
@pytest.mark.parametrize("name", ["pause", "resume", "rules", "stage"])
def test_drawn_markup_is_crispys(assert_html_equal, name, data, language):
    with translation.override(language), override_settings(CRISPY_FAIL_SILENTLY=False):
        form = _forms(data)[name]
        if data is not None:
            assert form.errors, "the bad data must give errors to draw"
        by_crispy = CRISPY.render(Context({"form": form}))
        assert_html_equal(form.drawn(), by_crispy)


@pytest.fixture
def assert_html_equal():
    from django.test import SimpleTestCase

    case = SimpleTestCase()
    return case.assertHTMLEqual
