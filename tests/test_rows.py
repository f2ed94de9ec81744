"""recovery.rows reads and writes rows as the ORM would, without its compiler; on PostgreSQL its
statements are prepared once per connection. And the sign-in backend that reads users with it."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models.signals import post_save
from django.test import Client, override_settings
from django.urls import reverse

from plans.models import Plan, SessionLog
from plans.services import patient_today
from recovery import rows
from recovery.models import PatientProfile, User
from tests.conftest import make_user


def fields_of(instance, model=None) -> dict:
    model = model or type(instance)
    return {f.attname: getattr(instance, f.attname) for f in model._meta.concrete_fields}


def test_a_user_is_read_as_the_orm_reads_it(ana, dr_cho):
    user = ana.user
    User.objects.filter(pk=user.pk).update(last_login=user.date_joined + timedelta(hours=1))
    for pk in (user.pk, dr_cho.pk):
        lean = rows.get(User, pk)
        assert fields_of(lean) == fields_of(User.objects.get(pk=pk))
        assert lean._state.adding is False and lean._state.db == "default"
    assert rows.get(User, 10**12) is None


def test_a_plan_row_is_converted_like_the_orms(ana_plan):
    sql = f"SELECT {rows.select_list(Plan, 'p')} FROM plans_plan p WHERE p.id = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [ana_plan.pk])
        plan = rows.from_row(Plan, cursor.fetchone())
    orm = Plan.objects.get(pk=ana_plan.pk)
    assert fields_of(plan) == fields_of(orm)
    assert isinstance(plan.allowed_activities, list)  # JSON, decoded as the ORM decodes it


def test_a_subset_of_columns_loads_those_fields_only(ana):
    columns = rows.select_list(PatientProfile, "pp", fields=["id", "timezone"])
    sql = f"SELECT {columns} FROM recovery_patientprofile pp WHERE pp.id = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [ana.pk])
        patient = rows.from_row(PatientProfile, cursor.fetchone(), fields=["id", "timezone"])
    assert (patient.pk, patient.timezone) == (ana.pk, ana.timezone)
    assert patient.get_deferred_fields() >= {"user_id", "clinician_id"}


UNIQUE = ("plan", "submission_token")


def new_log(plan, **extra) -> SessionLog:
    today = patient_today(plan.patient)
    values = {
        "plan": plan,
        "date": today,
        "week": plan.week_of(today),
        "activity": "walking",
        "minutes": 20,
        "pain": 3,
        "pain_lasted_hours": Decimal("1.5"),
        "sharp_pain": True,
        "red_flags": ["numbness"],
        "exertion": 13,
        "notes": "Felt fine",
    }
    return SessionLog(**(values | extra))


def test_insert_stores_the_row_the_orm_would_store(ana_plan):
    lean, orm = new_log(ana_plan), new_log(ana_plan)
    rows.insert(lean)
    orm.save(force_insert=True)
    assert lean.pk is not None and lean.pk != orm.pk
    assert lean._state.adding is False and lean._state.db == "default"
    assert lean.created_at is not None  # auto_now_add filled in, as save() does
    stored = {
        pk: fields_of(log) for pk, log in SessionLog.objects.in_bulk([lean.pk, orm.pk]).items()
    }
    ignore = {"id", "submission_token", "created_at"}
    assert {k: v for k, v in stored[lean.pk].items() if k not in ignore} == {
        k: v for k, v in stored[orm.pk].items() if k not in ignore
    }
    assert stored[lean.pk]["submission_token"] == lean.submission_token
    assert stored[lean.pk]["created_at"] == lean.created_at


def test_insert_refuses_an_unsaved_relation_as_save_does(ana_plan):
    log = new_log(ana_plan)
    log.plan = Plan(patient=ana_plan.patient)  # a plan never saved
    with pytest.raises(ValueError, match="unsaved related object"):
        rows.insert(log)
    assert not SessionLog.objects.exists()


def test_insert_keeps_the_tables_constraints(ana_plan):
    log = new_log(ana_plan, minutes=0)  # sessionlog_minutes_range
    with pytest.raises(DatabaseError), transaction.atomic():
        rows.insert(log)
    assert not SessionLog.objects.exists()


def test_insert_takes_the_orms_path_when_a_save_signal_listens(ana_plan):
    heard = []

    def receiver(sender, instance, created, **kwargs):
        heard.append((instance.pk, created))

    post_save.connect(receiver, sender=SessionLog)
    try:
        log = new_log(ana_plan)
        rows.insert(log)
    finally:
        post_save.disconnect(receiver, sender=SessionLog)
    assert heard == [(log.pk, True)]


def test_insert_unless_exists_stores_nothing_for_a_repeat(ana_plan):
    token = uuid.uuid4()
    first, repeat = new_log(ana_plan, submission_token=token), new_log(ana_plan, minutes=40)
    repeat.submission_token = token
    assert rows.insert(first, unless_exists=UNIQUE) is True
    assert rows.insert(repeat, unless_exists=UNIQUE) is False
    assert repeat.pk is None and repeat._state.adding
    assert list(SessionLog.objects.values_list("minutes", flat=True)) == [20]
    # Another constraint still fails, and the repeat check names only its own fields.
    with pytest.raises(DatabaseError), transaction.atomic():
        rows.insert(new_log(ana_plan, minutes=0), unless_exists=UNIQUE)


def test_insert_unless_exists_on_the_orms_path(ana_plan):
    post_save.connect(noop := lambda **kwargs: None, sender=SessionLog)
    try:
        token = uuid.uuid4()
        assert rows.insert(new_log(ana_plan, submission_token=token), unless_exists=UNIQUE)
        assert not rows.insert(new_log(ana_plan, submission_token=token), unless_exists=UNIQUE)
        with pytest.raises(DatabaseError), transaction.atomic():
            rows.insert(new_log(ana_plan, minutes=0), unless_exists=UNIQUE)
    finally:
        post_save.disconnect(noop, sender=SessionLog)
    assert SessionLog.objects.count() == 1


def test_insert_takes_the_orms_path_for_a_database_default(db):
    user = User(username="fresh", role="patient")  # page_revision has a database default
    rows.insert(user)
    assert User.objects.get(pk=user.pk).page_revision == 0


def test_only_plain_percent_s_placeholders_are_prepared():
    with pytest.raises(ValueError, match="one %s per parameter"):
        rows._prepared("SELECT %s, %s", 1)
    with pytest.raises(ValueError, match="one %s per parameter"):
        rows._prepared("SELECT 'a%%' || %s", 1)
    name, prepare, run = rows._prepared("SELECT %s + %s", 2)
    assert prepare == f"PREPARE {name} AS SELECT $1 + $2"
    assert run == f"EXECUTE {name}(%s, %s)"


# --- prepared statements (PostgreSQL) -----------------------------------------------------------
# Outside a test transaction (transactional_db): they close the connection to start a new server
# session.


def prepared_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


SQL = "SELECT %s::int + 1"


def run(value: int) -> int:
    with connection.cursor() as cursor:
        rows.execute(cursor, SQL, [value])
        return cursor.fetchone()[0]


def test_a_statement_is_prepared_once_per_connection(
    transactional_db, postgres, django_assert_num_queries
):
    name = rows._prepared(SQL, 1)[0]
    connection.close()
    assert run(1) == 2
    assert name in prepared_names()
    # The PREPARE is connection set-up: a request's queries are only the EXECUTEs.
    with django_assert_num_queries(2) as captured:
        assert run(41) == 42
        assert run(0) == 1
    assert all(q["sql"].startswith(f"EXECUTE {name}(") for q in captured.captured_queries)
    connection.close()  # a new server session has none: it is prepared again
    assert run(2) == 3
    assert name in prepared_names()


def test_a_prepared_statement_outlives_a_rollback(transactional_db, postgres):
    connection.close()
    with pytest.raises(RuntimeError), transaction.atomic():
        assert run(1) == 2
        raise RuntimeError("roll back")
    assert run(5) == 6


def test_a_prepare_in_an_aborted_transaction_fails_as_a_database_error_and_is_sent_again(
    transactional_db, postgres
):
    connection.close()
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor, pytest.raises(DatabaseError):
            cursor.execute("SELECT 1/0")
        run(1)  # the transaction is aborted: the PREPARE fails, as any statement would
    assert run(7) == 8  # it was not recorded as prepared: sent again, and it works


@override_settings(DB_PREPARED_STATEMENTS=False)
def test_prepared_statements_can_be_turned_off(transactional_db, postgres):
    connection.close()
    assert run(1) == 2
    assert rows._prepared(SQL, 1)[0] not in prepared_names()


# --- the sign-in backend -------------------------------------------------------------------------


def test_a_signed_in_user_is_the_users_row(ana):
    client = Client()
    client.force_login(ana.user)
    response = client.get(reverse("me:dashboard"))
    assert response.status_code == 200
    user = response.wsgi_request.user
    assert user == ana.user
    assert fields_of(user, User) == fields_of(User.objects.get(pk=ana.user.pk))


def test_a_deactivated_or_deleted_user_is_signed_out_on_their_next_request(ana):
    gone = make_user("gone", "patient", "Gone", "Away")
    for user, end in ((ana.user, "deactivate"), (gone, "delete")):
        client = Client()
        client.force_login(user)
        if end == "deactivate":
            User.objects.filter(pk=user.pk).update(is_active=False)
        else:
            User.objects.filter(pk=user.pk).delete()
        response = client.get(reverse("me:dashboard"))
        assert response.status_code == 302
        assert response.wsgi_request.user.is_anonymous


def test_a_changed_password_signs_other_sessions_out(ana):
    client = Client()
    client.force_login(ana.user)
    user = User.objects.get(pk=ana.user.pk)
    user.set_password(str(uuid.uuid4()))
    user.save()
    response = client.get(reverse("me:dashboard"))
    assert response.status_code == 302
    assert response.wsgi_request.user.is_anonymous
