"""A change of score in words, in the reader's language (DESIGN sections 8 and 10).

`outcomes.scoring` stays pure (no Django): it gives the numbers and the verdict of a `Change`;
the sentence ("better by 3.4 points, more than the 2 points that matter") is built here with
gettext, so the clinician reads it in their own language. Each sentence is one message, whole,
so a translation can put its parts in its own order.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from outcomes.scoring import Change


def points(value) -> str:
    """'3.4 points', '2 points', '1 point': one decimal at most, none when it is whole (with the
    language's decimal mark: '3,4 puntos')."""
    rounded = Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{rounded:f}".removesuffix(".0")
    number = Decimal(text)
    # ngettext counts whole numbers; a fraction ("0.1 points") reads as the plural.
    count = int(number) if number == number.to_integral_value() else 2
    return ngettext("%(points)s point", "%(points)s points", count) % {
        "points": number_format(number)
    }


def change_words(change: Change) -> str:
    """How the follow-up compares with the baseline, and with the change that matters (MIC)."""
    size = abs(change.improvement)
    better = change.improvement > 0
    if change.mic is None:
        if size == 0:
            return _("no change")
        if better:
            return _("better by %(size)s") % {"size": points(size)}
        return _("worse by %(size)s") % {"size": points(size)}
    numbers = {"size": points(size), "mic": points(change.mic)}
    if size == 0:
        return _("no change (the %(mic)s that matter)") % numbers
    if size > change.mic:
        if better:
            return _("better by %(size)s, more than the %(mic)s that matter") % numbers
        return _("worse by %(size)s, more than the %(mic)s that matter") % numbers
    if size == change.mic:
        if better:
            return _("better by %(size)s, as much as the %(mic)s that matter") % numbers
        return _("worse by %(size)s, as much as the %(mic)s that matter") % numbers
    if better:
        return _("better by %(size)s, less than the %(mic)s that matter") % numbers
    return _("worse by %(size)s, less than the %(mic)s that matter") % numbers
