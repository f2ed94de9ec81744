"""The Outcomes card on the clinician's patient record (DESIGN section 8), loaded by the plans'
record template (a template `{% load %}`: plans never imports outcomes).

The record's view selected the patient through recovery.access and wrote its "patient_view"
audit row for this very page, so the card's read of the answers is audited by that row; the card
adds one query (two once a PSFS has a follow-up) to the record's budget and no write.
"""

from __future__ import annotations

from django import template

from outcomes.selectors import record_outcomes

register = template.Library()


@register.inclusion_tag("outcomes/clinic/_outcomes_card.html")
def outcomes_card(patient):
    return {"outcomes": record_outcomes(patient)}
