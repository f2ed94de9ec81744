"""Model rows read and written without the query compiler, for the few statements on the hottest
paths: the signed-in user of every request, and the log form's plan and new session.

The ORM compiles every query anew: on the log POST that was ~0.25 ms of Python for each of the
user's `get()`, the plan's locked `raw()` read and the session's `create()`, measured in process
on the benchmark data (the whole request took ~1.9 ms then, and ~1.25 ms now). What the
compiler would do is done here once per model and database: the column list, the INSERT
statement, and the converters that turn database values into Python values (the same functions
the ORM calls: SQLite's booleans and datetimes, JSON fields). Values going in are prepared by
each field's own `get_db_prep_save`.

Used only where it is plain: concrete models without parents, and no save signals listening
(`insert` then falls back to `Model.save`). `insert(..., unless_exists=...)` is the INSERT with
`ON CONFLICT DO NOTHING` on a unique key, for a repeat to be met rather than fail.

On PostgreSQL these statements are also prepared, once per connection (`execute`): the server
then plans each once instead of on every request. Planning them was ~0.3 ms of the database's
CPU per log POST, a third of its share, measured with pgbench on the benchmark data. Django
prepares nothing itself (psycopg2 cannot; with psycopg 3 Django turns it off by default).
Set DB_PREPARED_STATEMENTS=false behind a pooler that shares server sessions between clients
(PgBouncer in transaction mode): named statements live in one server session.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import IntegrityError, connections, models, transaction
from django.db.models import signals
from django.db.models.expressions import DatabaseDefault


@dataclass(frozen=True)
class _Columns:
    fields: tuple[models.Field, ...]
    attnames: tuple[str, ...]
    # (position, converters, the column expression they expect), only where there are any.
    converters: tuple[tuple[int, tuple[Callable, ...], object], ...]


@cache
def _columns(model: type[models.Model], alias: str, names: tuple[str, ...] | None) -> _Columns:
    connection = connections[alias]
    meta = model._meta
    fields = (
        tuple(meta.concrete_fields)
        if names is None
        else tuple(meta.get_field(name) for name in names)
    )
    converters = []
    for position, field in enumerate(fields):
        column = field.get_col(meta.db_table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((position, tuple(found), column))
    return _Columns(fields, tuple(f.attname for f in fields), tuple(converters))


def select_list(
    model: type[models.Model], table_alias: str, *, using: str = "default", fields=None
) -> str:
    """The quoted column list of `model` (all concrete fields, or `fields` in that order)."""
    quote = connections[using].ops.quote_name
    return ", ".join(
        f"{table_alias}.{quote(f.column)}"
        for f in _columns(model, using, tuple(fields) if fields else None).fields
    )


def from_row(
    model: type[models.Model], row: Sequence, *, using: str = "default", fields=None
) -> models.Model:
    """An instance of `model` from the first columns of `row`, as `select_list` listed them."""
    columns = _columns(model, using, tuple(fields) if fields else None)
    values = list(row[: len(columns.fields)])
    connection = connections[using]
    for position, converters, column in columns.converters:
        value = values[position]
        for convert in converters:
            value = convert(value, column, connection)
        values[position] = value
    return model.from_db(using, columns.attnames, values)


def execute(cursor, sql: str, params: Sequence) -> None:
    """`cursor.execute(sql, params)`; on PostgreSQL through a statement prepared on this connection.

    `sql` takes its parameters as `%s` (no `%%`, no named ones). The PREPARE goes to the driver's
    own cursor, like the settings Django sends on connecting: it is set-up, once per connection,
    and not one of a request's queries. A PREPARE survives a rollback; one that fails (in a
    transaction already aborted) is not recorded and is sent again next time.
    """
    connection = cursor.db
    if connection.vendor != "postgresql" or not settings.DB_PREPARED_STATEMENTS:
        cursor.execute(sql, params)
        return
    name, prepare, run = _prepared(sql, len(params))
    raw = connection.connection
    known = connection.__dict__.get("_rows_prepared")
    if known is None or known[0] is not raw:  # a new server session: nothing prepared yet
        known = connection.__dict__["_rows_prepared"] = (raw, set())
    if name not in known[1]:
        with connection.wrap_database_errors:
            cursor.cursor.execute(prepare)
        known[1].add(name)
    cursor.execute(run, params)


@cache
def _prepared(sql: str, count: int) -> tuple[str, str, str]:
    parts = sql.split("%s")
    if len(parts) != count + 1 or "%" in "".join(parts):
        raise ValueError("rows.execute takes SQL whose only placeholders are one %s per parameter")
    numbered = parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], start=1))
    name = "stepwise_" + hashlib.sha256(sql.encode()).hexdigest()[:16]
    run = f"EXECUTE {name}({', '.join(['%s'] * count)})" if count else f"EXECUTE {name}"
    return name, f"PREPARE {name} AS {numbered}", run


def get(model: type[models.Model], pk, *, using: str = "default") -> models.Model | None:
    """`model.objects.filter(pk=pk).first()` for a model read on every request; None if absent."""
    connection = connections[using]
    meta = model._meta
    sql = _get_sql(model, using)
    with connection.cursor() as cursor:
        execute(cursor, sql, [meta.pk.get_db_prep_value(pk, connection)])
        row = cursor.fetchone()
    return None if row is None else from_row(model, row, using=using)


@cache
def _get_sql(model: type[models.Model], alias: str) -> str:
    meta = model._meta
    quote = connections[alias].ops.quote_name
    table = quote(meta.db_table)
    columns = select_list(model, table, using=alias)
    # Names from the model's own meta, quoted; the value is a parameter.
    return f"SELECT {columns} FROM {table} WHERE {table}.{quote(meta.pk.column)} = %s"  # noqa: S608 # nosec B608


def _plain(model: type[models.Model]) -> bool:
    meta = model._meta
    return not meta.parents and not (
        signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model)
    )


@cache
def _insert_sql(
    model: type[models.Model], alias: str, unless_exists: tuple[str, ...]
) -> tuple[str, tuple[models.Field, ...]]:
    connection = connections[alias]
    meta = model._meta
    quote = connection.ops.quote_name
    fields = tuple(f for f in meta.local_concrete_fields if f is not meta.auto_field)
    placeholders = ", ".join(
        f.get_placeholder(None, None, connection) if hasattr(f, "get_placeholder") else "%s"
        for f in fields
    )
    names = ", ".join(quote(f.column) for f in fields)
    # Names from the model's own meta, quoted; the values are parameters.
    sql = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES ({placeholders})"  # noqa: S608 # nosec B608
    if unless_exists:
        target = ", ".join(quote(meta.get_field(name).column) for name in unless_exists)
        sql += f" ON CONFLICT ({target}) DO NOTHING"
    if connection.features.can_return_columns_from_insert:
        sql += f" RETURNING {quote(meta.db_table)}.{quote(meta.auto_field.column)}"
    return sql, fields


def insert(
    obj: models.Model, *, using: str = "default", unless_exists: tuple[str, ...] = ()
) -> bool:
    """Save a new `obj` with one INSERT, as `Model.save(force_insert=True)` would, and set its pk.

    `unless_exists` names the fields of a unique constraint: a row that would repeat them is not
    stored (False, and `obj` stays unsaved) instead of failing; another constraint still fails.
    Falls back to `save` when the model has parents, save signals or a database default to
    fill in, which need the ORM's own path.
    """
    model = type(obj)
    meta = model._meta
    connection = connections[using]
    if (
        not _plain(model)
        or meta.auto_field is None
        or obj.pk is not None
        or len(meta.db_returning_fields) != 1
        or (unless_exists and connection.vendor not in ("postgresql", "sqlite"))
    ):
        return _save(obj, using, unless_exists)
    sql, fields = _insert_sql(model, using, tuple(unless_exists))
    obj._prepare_related_fields_for_save(operation_name="save")  # as save(): no unsaved relation
    values = [field.pre_save(obj, True) for field in fields]
    if any(isinstance(value, DatabaseDefault) for value in values):
        return _save(obj, using, unless_exists)
    params = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(fields, values, strict=True)
    ]
    with connection.cursor() as cursor:
        execute(cursor, sql, params)
        if connection.features.can_return_columns_from_insert:
            row = cursor.fetchone()
            pk = None if row is None else row[0]
        elif cursor.rowcount:
            pk = connection.ops.last_insert_id(cursor, meta.db_table, meta.auto_field.column)
        else:
            pk = None
    if pk is None:
        return False
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = using
    return True


def _save(obj: models.Model, using: str, unless_exists: tuple[str, ...]) -> bool:
    """The ORM's own path; with `unless_exists`, a repeat of those fields is caught afterwards."""
    if not unless_exists:
        obj.save(force_insert=True, using=using)
        return True
    try:
        with transaction.atomic(using=using):
            obj.save(force_insert=True, using=using)
    except IntegrityError:
        obj.pk = None
        same = {name: getattr(obj, obj._meta.get_field(name).attname) for name in unless_exists}
        if type(obj)._base_manager.using(using).filter(**same).exists():
            return False
        raise
    return True
