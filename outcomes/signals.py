"""The shipped instruments and the default schedule are there whatever emptied the database, and
a treatment type added later is scheduled too.

The data migration gave them to the install it ran on. `flush` (seed_demo --reset, a test that
empties the database) removes them and then sends `post_migrate`, as `migrate` does: both put
back what is missing (never what staff changed). A treatment type created later (the admin, the
starter library) gets the default schedule; staff change it in the admin.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.db.models.signals import post_migrate, post_save
from django.dispatch import receiver

from outcomes.defaults import load_default_schedule, load_shipped_instruments
from outcomes.models import Instrument, ScheduledInstrument
from recovery.models import TreatmentType


@receiver(post_migrate, dispatch_uid="outcomes-shipped-instruments")
def shipped_instruments_after_migrate(sender, apps=None, **kwargs):
    if sender.label != "outcomes":
        return
    state = apps or global_apps
    try:
        models = [state.get_model("outcomes", name) for name in ("Instrument", "Item", "Option")]
        schedule = state.get_model("outcomes", "ScheduledInstrument")
        treatment_types = state.get_model("recovery", "TreatmentType")
    except LookupError:  # outcomes migrated back to zero: nothing to fill
        return
    load_shipped_instruments(*models)
    load_default_schedule(treatment_types, models[0], schedule)


@receiver(post_save, sender=TreatmentType, dispatch_uid="outcomes-default-schedule")
def default_schedule_for_a_new_treatment_type(sender, instance, created, raw=False, **kwargs):
    if created and not raw:  # not while loading fixtures: they bring their own rows
        load_default_schedule(
            TreatmentType.objects.filter(pk=instance.pk), Instrument, ScheduledInstrument
        )
