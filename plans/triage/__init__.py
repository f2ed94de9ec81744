"""The clinician's triage: who needs me now, with a pinned query budget. One module per concern:
`rows` (tiers, reasons, the rows a clinician reads), `words` (sessions, warning signs, severe
pain and days in words, shared with the record), `reasons` (why a patient is listed), `panel`
(the set-based queries and the sort), `drawn` (the page's table rows as HTML), `search` (a
patient by name, record number or birth date).

`clinician_triage` answers "who needs me now?" for one clinician in a fixed number of queries,
whether they have ten patients or five hundred: the people, their alerts (open, and closed
today), their open plans (each with its last week, the week before when its words need it,
last session and latest red session) and their clearances (the pending ones, and the latest
request of a patient with no open plan) come from one set-based query each, and the ordering is
done in Python over those rows. Every patient is ranked; a reason is put in words only when read
(the page draws one page of rows).

Triage only reads. In particular it does not call `plan_close_weeks` for each patient (that would
be N locked queries per page view): weeks are closed by the reminder job, the patient's own
dashboard and the clinician's patient page, so a decision shown here can lag by one reminder pass.
A red session does not wait for its week to close: it is listed from the moment it is logged.

Apps that plans does not import add reasons through settings.TRIAGE_REASONS: dotted paths of
callables given the panel's patient ids (as a query, for a subquery), answering
{patient_id: [Reason, ...]} in one query each (outcomes: a follow-up worse than baseline by the
change that matters).
"""

from plans.triage.panel import clinician_triage
from plans.triage.rows import TRIAGE_QUERY_BUDGET, Reason, Tier, Triage, TriageRow
from plans.triage.search import patient_search
from plans.triage.words import activity_labels, flag_labels, on_day, severe_pain_words

__all__ = [
    "TRIAGE_QUERY_BUDGET",
    "Reason",
    "Tier",
    "Triage",
    "TriageRow",
    "activity_labels",
    "clinician_triage",
    "flag_labels",
    "on_day",
    "patient_search",
    "severe_pain_words",
]
