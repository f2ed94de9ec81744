"""The rows of the triage page's two tables as HTML, built in Python.

A page draws 50 rows of each list, and each "Needs attention" row reads a dozen values and five
translations: through the template language that cost the page more than its queries. The markup
and words are those the template drew; every text, translated words included, is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from plans.models import AlertKind, AlertTier
from plans.triage.rows import OtherRow, Tier, TriageRow, alert_kind_words, alert_tier_words
from recovery.templatetags.ago import ago


def _override_badge() -> SafeString:
    return format_html(' <span class="badge text-bg-warning">{}</span>', _("stage override"))


class _PageWords:
    """The words and markup that are the same on every row, translated once per page (in the
    request's language) rather than once per row: a row said a dozen of them."""

    def __init__(self) -> None:
        self.override_badge = _override_badge()
        self.close = _("Close alert")
        self.alert_for = _("%(tier)s %(kind)s alert for %(name)s")
        self.decide = _("Decide")
        self.clearance_for = _("on clearance for %(name)s")
        self.reported = _("Reported %(ago)s")
        self.also = _("Also: %(also)s")
        # Ids and tier numbers are not quantities to localise.
        self.tier_cells = {
            tier: format_html(
                '\n<td><span class="badge {}">{}<span class="tier-label"> · {}</span></span></td>',
                tier.badge,
                str(tier.value),
                tier.label,
            )
            for tier in Tier
        }
        # An alert's tier and kind in lower case.
        self.alert_tiers = {tier: alert_tier_words(tier) for tier in AlertTier.values}
        self.alert_kinds = {kind: alert_kind_words(kind) for kind in AlertKind.values}


def _actions(row: TriageRow, back: str, words: _PageWords) -> SafeString | str:
    """Close each open alert (coming back to this page), or decide on the clearance."""
    if row.alerts:
        return format_html_join(
            "",
            '\n<a class="btn btn-sm btn-outline-danger mb-1" href="{}?next={}">{}'
            '<span class="visually-hidden">: {}</span>…</a>',
            (
                (
                    alert.close_url,
                    back,
                    words.close,
                    words.alert_for
                    % {
                        "tier": words.alert_tiers.get(alert.tier, alert.tier),
                        "kind": words.alert_kinds.get(alert.kind, alert.kind),
                        "name": row.name,
                    },
                )
                for alert in row.alerts
            ),
        )
    if row.clearance_url:
        return format_html(
            '\n<a class="btn btn-sm btn-outline-secondary" href="{}">{}'
            '<span class="visually-hidden"> {}</span></a>',
            row.clearance_url,
            words.decide,
            words.clearance_for % {"name": row.name},
        )
    return ""


def _attention_row(row: TriageRow, back: str, words: _PageWords) -> SafeString:
    tier, reason = row.tier, row.reason
    detail = reported = also = ""
    if reason.detail:
        detail = format_html('\n<span class="small">{}</span>', reason.detail)
    if row.alerts:
        reported = format_html(
            '\n<span class="small d-block text-body-secondary">{}</span>',
            words.reported % {"ago": ago(row.alerts[0].created_at)},
        )
    if row.also:
        also = format_html(
            '\n<span class="small d-block text-body-secondary">{}</span>',
            words.also % {"also": row.also_text},
        )
    return format_html(
        '\n<tr class="triage-row tier-{}{}" data-patient="{}">{}'
        '\n<th scope="row" class="text-nowrap"><a href="{}">{}</a>{}</th>'
        '\n<td>\n<strong class="d-block">{}</strong>{}{}{}\n</td>'
        '\n<td class="text-end">{}\n</td>\n</tr>',
        str(tier.value),
        row.urgency,
        str(row.patient_id),
        words.tier_cells[tier],
        row.url,
        row.name,
        words.override_badge if row.stage_override else "",
        reason.why,
        detail,
        reported,
        also,
        _actions(row, back, words),
    )


def attention_rows(rows: Iterable[TriageRow], full_path: str) -> SafeString:
    """The table rows of "Needs attention"; `full_path` is this page's path and query, where
    closing an alert comes back to."""
    back = quote(full_path)
    words = _PageWords()
    return format_html_join("", "{}", ((_attention_row(row, back, words),) for row in rows))


def other_rows(rows: Iterable[OtherRow]) -> SafeString:
    """The table rows of "Everyone else": a name and one status line each."""
    badge = _override_badge()
    return format_html_join(
        "",
        '\n<tr><th scope="row" class="fw-normal"><a href="{}">{}</a>{}</th><td>{}</td></tr>',
        ((row.url, row.name, badge if row.stage_override else "", row.status) for row in rows),
    )
