"""What the models share: bounds of stored numbers and dates, the rules fields, append-only."""

from __future__ import annotations

from datetime import date

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from plans import engine

# Every stored calendar date lies in these absolute bounds (a check constraint on each date column;
# a database cannot know "today"). The forms and services hold tighter bounds relative to today
# (recovery.services, plans.services); these make sure that no row, whoever wrote it (admin,
# shell, import, raw SQL), can take date arithmetic near 9999-12-31: the largest sum the code
# makes, a date plus at most 7 x 32767 days (a small-integer count of days, or of weeks times
# seven: `earliest_clearance`, `Plan.week_bounds`), stays below year 2800.
DATE_FLOOR = date(2000, 1, 1)
DATE_CEILING = date(2100, 12, 31)
STAGE_GATE_DAYS_MAX = 3650


def bounds(low, high, what: str) -> list:
    """Validators for a number from `low` to `high`, saying so beside the field in any form."""
    message = f"{what} must be between {low} and {high}."
    return [MinValueValidator(low, message=message), MaxValueValidator(high, message=message)]


LIFTING_LIMIT_MIN_KG, LIFTING_LIMIT_MAX_KG = 0.5, 50


def date_range_constraint(
    field: str, name: str, *, nullable: bool = False
) -> models.CheckConstraint:
    """`field` lies within [DATE_FLOOR, DATE_CEILING] (or is null when `nullable`)."""
    condition = Q(**{f"{field}__gte": DATE_FLOOR, f"{field}__lte": DATE_CEILING})
    if nullable:
        condition |= Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(condition=condition, name=name)


def rules_constraints(prefix: str) -> list[models.CheckConstraint]:
    """The engine's bounds for a plan's rules, enforced by the database as well."""
    e = engine
    return [
        models.CheckConstraint(
            condition=Q(
                start_minutes__gte=e.START_MINUTES_MIN, start_minutes__lte=e.START_MINUTES_MAX
            ),
            name=f"{prefix}_start_minutes_range",
        ),
        models.CheckConstraint(
            condition=Q(
                min_increment__gte=e.INCREMENT_MIN,
                min_increment__lte=models.F("max_increment"),
                max_increment__lte=e.INCREMENT_MAX,
            ),
            name=f"{prefix}_increment_range",
        ),
        models.CheckConstraint(
            condition=Q(
                target_minutes__gte=models.F("start_minutes"),
                target_minutes__lte=e.TARGET_MINUTES_MAX,
            ),
            name=f"{prefix}_target_range",
        ),
        models.CheckConstraint(
            condition=Q(
                sessions_per_week__gte=e.SESSIONS_MIN, sessions_per_week__lte=e.SESSIONS_MAX
            ),
            name=f"{prefix}_sessions_range",
        ),
    ]


class RulesFields(models.Model):
    """The five numbers the plan engine needs. Subclasses add `rules_constraints(...)`."""

    start_minutes = models.PositiveSmallIntegerField()
    min_increment = models.PositiveSmallIntegerField()
    max_increment = models.PositiveSmallIntegerField()
    target_minutes = models.PositiveSmallIntegerField()
    sessions_per_week = models.PositiveSmallIntegerField()

    class Meta:
        abstract = True

    def rules(self) -> engine.Rules:
        return engine.Rules(
            start_minutes=self.start_minutes,
            min_increment=self.min_increment,
            max_increment=self.max_increment,
            target_minutes=self.target_minutes,
            sessions_per_week=self.sessions_per_week,
        )


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk writes that would rewrite history are refused (PostgreSQL triggers back this up)."""

    def update(self, **kwargs):
        raise ValueError(f"{self.model.__name__} rows are append-only.")

    def delete(self):
        raise ValueError(f"{self.model.__name__} rows are append-only.")


class AppendOnlyModel(models.Model):
    """A row written once: saving it again, deleting it, and the bulk update and delete of its
    queryset are refused (PostgreSQL triggers back this up for any writer)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            self._refuse()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse()

    def _refuse(self):
        raise ValueError(f"{self._meta.verbose_name_plural.capitalize()} are append-only.")
