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

from plans.triage.rows import OtherRow, TriageRow
from recovery.templatetags.ago import ago


def _override_badge() -> SafeString:
    return format_html(' <span class="badge text-bg-warning">{}</span>', _("stage override"))


def _actions(row: TriageRow, back: str) -> SafeString | str:
    """Close each open alert (coming back to this page), or decide on the clearance."""
    if row.alerts:
        close = _("Close alert")
        return format_html_join(
            "",
            '\n<a class="btn btn-sm btn-outline-danger mb-1" href="{}?next={}">{}'
            '<span class="visually-hidden">: {}</span>…</a>',
            (
                (
                    alert.close_url,
                    back,
                    close,
                    _("%(tier)s %(kind)s alert for %(name)s")
                    % {"tier": alert.tier_words, "kind": alert.kind_words, "name": row.name},
                )
                for alert in row.alerts
            ),
        )
    if row.clearance_url:
        return format_html(
            '\n<a class="btn btn-sm btn-outline-secondary" href="{}">{}'
            '<span class="visually-hidden"> {}</span></a>',
            row.clearance_url,
            _("Decide"),
            _("on clearance for %(name)s") % {"name": row.name},
        )
    return ""


def _attention_row(row: TriageRow, back: str) -> SafeString:
    tier, reason = row.tier, row.reason
    detail = reported = also = ""
    if reason.detail:
        detail = format_html('\n<span class="small">{}</span>', reason.detail)
    if row.alerts:
        reported = format_html(
            '\n<span class="small d-block text-body-secondary">{}</span>',
            _("Reported %(ago)s") % {"ago": ago(row.alerts[0].created_at)},
        )
    if row.also:
        also = format_html(
            '\n<span class="small d-block text-body-secondary">{}</span>',
            _("Also: %(also)s") % {"also": row.also_text},
        )
    # Ids and tier numbers are not quantities to localise.
    return format_html(
        '\n<tr class="triage-row tier-{}{}" data-patient="{}">'
        '\n<td><span class="badge {}">{}<span class="tier-label"> · {}</span></span></td>'
        '\n<th scope="row" class="text-nowrap"><a href="{}">{}</a>{}</th>'
        '\n<td>\n<strong class="d-block">{}</strong>{}{}{}\n</td>'
        '\n<td class="text-end">{}\n</td>\n</tr>',
        str(tier.value),
        row.urgency,
        str(row.patient_id),
        tier.badge,
        str(tier.value),
        tier.label,
        row.url,
        row.name,
        _override_badge() if row.stage_override else "",
        reason.why,
        detail,
        reported,
        also,
        _actions(row, back),
    )


def attention_rows(rows: Iterable[TriageRow], full_path: str) -> SafeString:
    """The table rows of "Needs attention"; `full_path` is this page's path and query, where
    closing an alert comes back to."""
    back = quote(full_path)
    return format_html_join("", "{}", ((_attention_row(row, back),) for row in rows))


def other_rows(rows: Iterable[OtherRow]) -> SafeString:
    """The table rows of "Everyone else": a name and one status line each."""
    badge = _override_badge()
    return format_html_join(
        "",
        '\n<tr><th scope="row" class="fw-normal"><a href="{}">{}</a>{}</th><td>{}</td></tr>',
        ((row.url, row.name, badge if row.stage_override else "", row.status) for row in rows),
    )
