"""The instruments StepWise ships (free to use, written for StepWise in plain words) and the
default schedule (DESIGN section 8). Licensed instruments (ODI, NDI, PROMIS, EQ-5D, STarT Back)
are never shipped: the clinic defines them in the admin once it holds a licence.

Used by the data migration (existing installs) and by the tests (transactional tests flush
migration data); functions take the model classes so the migration can pass its historical ones.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

# Every patient-facing text below is marked with gettext_noop: stored as written (English) by the
# data migration, collected by makemessages, and translated when a shipped instrument is shown
# (outcomes.forms.shown); a clinic-defined instrument is shown as written.

PAIN_OPTIONS = [
    (0, gettext_noop("0 – No pain")),
    *((n, str(n)) for n in range(1, 10)),
    (10, gettext_noop("10 – Pain as bad as you can imagine")),
]

PGIC_OPTIONS = [
    (1, gettext_noop("Very much better")),
    (2, gettext_noop("Much better")),
    (3, gettext_noop("A little better")),
    (4, gettext_noop("No change")),
    (5, gettext_noop("A little worse")),
    (6, gettext_noop("Much worse")),
    (7, gettext_noop("Very much worse")),
]

# code: fields, then the items as (text, help text, options as (score, label)).
SHIPPED = {
    "pain": (
        {
            "name": gettext_noop("Average pain"),
            "intro": gettext_noop("One question about your back or neck pain over the last week."),
            "scoring": "single",
            "direction": "higher_worse",
            "minimal_important_change": 2,
        },
        [
            (
                gettext_noop(
                    "Over the last 7 days, how bad has your back or neck pain been on average?"
                ),
                gettext_noop("0 means no pain at all, 10 means pain as bad as you can imagine."),
                PAIN_OPTIONS,
            )
        ],
    ),
    "psfs": (
        {
            "name": gettext_noop("Everyday activities (PSFS)"),
            "intro": gettext_noop(
                "Think of everyday activities that your back or neck problem makes hard "
                "to do, such as putting on socks, carrying shopping or sitting through a film. "
                "For each one, say how well you can do it today: 0 means you cannot do it at "
                "all, 10 means you can do it as well as before your problem began."
            ),
            "scoring": "mean",
            "direction": "higher_better",
            "minimal_important_change": 2,
            "item_minimal_important_change": 3,
            "patient_named_items": True,
        },
        [],
    ),
    "pgic": (
        {
            "name": gettext_noop("How things have changed (PGIC)"),
            "intro": gettext_noop(
                "One question about how you feel things have changed since you started."
            ),
            "scoring": "single",
            "direction": "higher_worse",
            "minimal_important_change": None,
            "asked_at_baseline": False,
        },
        [
            (
                gettext_noop(
                    "Since you started your exercise plan, how would you describe your back "
                    "or neck overall?"
                ),
                "",
                PGIC_OPTIONS,
            )
        ],
    ),
}

FOLLOW_UPS = ("week_6", "month_3", "month_6", "month_12")
DEFAULT_SCHEDULE = {
    "baseline": ("pain", "psfs"),
    **dict.fromkeys(FOLLOW_UPS, ("pain", "psfs", "pgic")),
}


def load_shipped_instruments(Instrument, Item, Option) -> None:
    """Create the shipped instruments that are missing (one that exists is left as it is)."""
    for code, (fields, items) in SHIPPED.items():
        instrument, created = Instrument.objects.get_or_create(
            code=code, defaults={**fields, "kind": "shipped", "active": True, "licence_held": True}
        )
        if not created:
            continue
        for position, (text, help_text, options) in enumerate(items, start=1):
            item = Item.objects.create(
                instrument=instrument, position=position, text=text, help_text=help_text
            )
            Option.objects.bulk_create(
                Option(item=item, position=n, label=label, score=score)
                for n, (score, label) in enumerate(options, start=1)
            )


def load_default_schedule(treatment_types, Instrument, ScheduledInstrument) -> None:
    """Give every treatment type of `treatment_types` (a model class or a queryset) without a
    schedule the default one."""
    types = getattr(treatment_types, "objects", treatment_types)
    instruments = {i.code: i for i in Instrument.objects.filter(code__in=SHIPPED)}
    scheduled = set(ScheduledInstrument.objects.values_list("treatment_type_id", flat=True))
    ScheduledInstrument.objects.bulk_create(
        ScheduledInstrument(
            treatment_type=treatment_type, instrument=instruments[code], visit=visit
        )
        for treatment_type in types.exclude(pk__in=scheduled)
        for visit, codes in DEFAULT_SCHEDULE.items()
        for code in codes
        if code in instruments
    )
