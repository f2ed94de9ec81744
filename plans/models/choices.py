"""What a patient answers about warning signs and pain, as stored (sessions, reports, alerts)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class RedFlag(models.TextChoices):
    """Warning signs asked on every log and symptom report (DESIGN section 1 rule 6).

    Labels are questions a patient can answer plainly; each says "new" where it matters. The
    engine decides the tier (emergency or same day) from the code.
    """

    # Emergency: call 911 or go to the nearest emergency department now.
    BLADDER_BOWEL = "bladder_bowel", _("New loss of control of your bladder or bowels")
    URINARY_RETENTION = (
        "urinary_retention",
        _("New trouble starting to pee, or not feeling when your bladder is full"),
    )
    SADDLE_NUMBNESS = (
        "saddle_numbness",
        _("New numbness in the groin, buttocks or inner thighs, or when wiping"),
    )
    BOTH_LEGS = "both_legs", _("New numbness or weakness in both legs")
    RAPID_WEAKNESS = (
        "rapid_weakness",
        _("Weakness that is quickly getting worse, or a foot that drags or slaps"),
    )
    CHEST_BREATHING = (
        "chest_breathing",
        _("Chest pain, sudden shortness of breath or coughing up blood"),
    )
    FAINTING = "fainting", _("Fainting or nearly fainting")
    NECK_SWELLING = (
        "neck_swelling_breathing",
        _("Neck swelling with trouble breathing or swallowing (after neck surgery)"),
    )
    # Same day: stop exercising and call your care team today.
    RADIATING_PAIN = "radiating_pain", _("New pain spreading down an arm or a leg")
    NUMBNESS = (
        "numbness",
        _("New numbness in an arm, leg, hand or foot (numbness around the scar is expected)"),
    )
    TINGLING = "tingling", _("New tingling or pins and needles")
    WEAKNESS = "weakness", _("New weakness in an arm or a leg")
    HAND_CLUMSINESS = "hand_clumsiness", _("New clumsiness of the hands, or unsteady walking")
    FEVER = "fever", _("Fever or chills")
    WOUND = "wound", _("A wound that is red, swollen or draining")
    CALF_PAIN = "calf_pain", _("Pain, swelling or warmth in a calf")
    FALL = "fall", _("A fall")
    UNCONTROLLED_PAIN = (
        "uncontrolled_pain",
        _("Severe pain that your usual pain medicine does not ease"),
    )
    HEADACHE_UPRIGHT = (
        "headache_upright",
        _("A severe headache that is worse sitting or standing (after an injection)"),
    )


class PainDuration(models.TextChoices):
    """How long raised pain lasted, as a patient can answer it. Mapped to hours for the engine:
    only the side of 2 hours (the "2-hour rule") and of 24 hours (severe pain) matter to it, so
    each answer stands for an hour count well inside its band."""

    WITHIN_2H = "within_2h", _("Gone within 2 hours")
    LATER = "later", _("2 hours to the next day")
    NEXT_DAY = "next_day", _("Still there the next day")
    NOT_SETTLED = "not_settled", _("It has not settled yet")


# What each answer means to the engine. "Not settled yet" counts as within 2 hours until the
# patient answers the follow-up (then the follow-up's answer is the session's duration).
PAIN_DURATION_HOURS = {
    PainDuration.WITHIN_2H: Decimal("1.0"),
    PainDuration.LATER: Decimal("12.0"),
    PainDuration.NEXT_DAY: Decimal("36.0"),
    PainDuration.NOT_SETTLED: Decimal("0.0"),
}


class PainSettled(models.TextChoices):
    """The follow-up's answer: when did the pain of a session logged "not settled yet" settle."""

    WITHIN_2H = "within_2h", _("Within 2 hours")
    LATER = "later", _("Later that day")
    NEXT_DAY = "next_day", _("It was still there the next day")


PAIN_SETTLED_HOURS = {
    PainSettled.WITHIN_2H: PAIN_DURATION_HOURS[PainDuration.WITHIN_2H],
    PainSettled.LATER: PAIN_DURATION_HOURS[PainDuration.LATER],
    PainSettled.NEXT_DAY: PAIN_DURATION_HOURS[PainDuration.NEXT_DAY],
}
