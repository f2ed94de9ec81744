"""The database raises `User.page_revision` whenever anything a user's pages show changes.

Cached pages (recovery.pagecache) are keyed by that number, so a page can never outlive the data it
was drawn from: every writer is covered (services, admin, shell, bulk paths, raw SQL), and the
number moves in the same transaction as the data.

Whose number moves: a patient's own, when their records change, and their clinician's (whose
triage and patient pages list them). Exercise-library edits move every patient's (their
dashboards list exercises).

PostgreSQL: deferred constraint triggers, so the bumps run at COMMIT, after every other lock the
transaction takes, and lock the user rows in id order first: two transactions that only bump
cannot deadlock on them. One that updates a user row itself (an admin renaming a patient) holds
that row before its bumps and can deadlock with a bump of the same patient committing at that
moment; PostgreSQL then aborts one of the two, which answers an error and stores nothing.
SQLite (one writer at a time): plain row triggers.

A code path that writes a stale `page_revision` back (a full `save()` of a user loaded earlier)
cannot lower it: a trigger on the user table keeps it rising.
"""

from collections.abc import Callable

from django.db import migrations

# table -> (events, the FROM clause that binds `pp` to the affected patient profiles).
# `{r}` is the changed row: NEW or OLD.
PATIENT_ROWS = {
    "plans_sessionlog": (
        ("INSERT", "UPDATE", "DELETE"),
        "plans_plan p JOIN recovery_patientprofile pp ON pp.id = p.patient_id "
        "WHERE p.id = {r}.plan_id",
    ),
    "plans_planweek": (
        ("INSERT", "UPDATE", "DELETE"),
        "plans_plan p JOIN recovery_patientprofile pp ON pp.id = p.patient_id "
        "WHERE p.id = {r}.plan_id",
    ),
    "plans_plan": (
        ("INSERT", "UPDATE", "DELETE"),
        "recovery_patientprofile pp WHERE pp.id = {r}.patient_id",
    ),
    "plans_alert": (
        ("INSERT", "UPDATE", "DELETE"),
        "recovery_patientprofile pp WHERE pp.id = {r}.patient_id",
    ),
    "recovery_clearance": (
        ("INSERT", "UPDATE", "DELETE"),
        "recovery_patientprofile pp WHERE pp.id = {r}.patient_id",
    ),
    "recovery_clearanceevent": (
        ("INSERT",),
        "recovery_clearance c JOIN recovery_patientprofile pp ON pp.id = c.patient_id "
        "WHERE c.id = {r}.clearance_id",
    ),
    "recovery_treatment": (
        ("INSERT", "UPDATE", "DELETE"),
        "recovery_patientprofile pp WHERE pp.id = {r}.patient_id",
    ),
    "recovery_treatmenttype": (
        ("UPDATE", "DELETE"),
        "recovery_treatment t JOIN recovery_patientprofile pp ON pp.id = t.patient_id "
        "WHERE t.treatment_type_id = {r}.id",
    ),
    "recovery_clinicianprofile": (
        ("INSERT", "UPDATE", "DELETE"),
        "recovery_patientprofile pp WHERE pp.clinician_id = {r}.user_id",
    ),
}

# The exercise library shows on every patient's dashboard. One bump per statement (PostgreSQL):
# a staff edit moves every patient's number once, not once per exercise row.
LIBRARY_TABLES = ("plans_exercise", "plans_exercise_contraindicated_for")
LIBRARY_USERS = "SELECT user_id FROM recovery_patientprofile"

# A patient profile itself (the changed row is the profile): its user and clinician, including
# the clinician it was moved away from.
PROFILE_USERS = "SELECT {r}.user_id UNION SELECT {r}.clinician_id"

# Names and roles show on other people's pages: a patient's on their clinician's; a clinician's
# on their patients' and on every record they decided or acted on (clearances, clearance events,
# acknowledged alerts), including patients since moved to someone else. (A user's own pages
# follow their own number, which any update of their row raises.)
USER_DISPLAY_COLUMNS = ("username", "first_name", "last_name", "email", "is_active", "role")
USER_ROWS = (
    "recovery_patientprofile pp WHERE pp.user_id = {r}.id OR pp.clinician_id = {r}.id "
    "OR pp.id IN (SELECT c.patient_id FROM recovery_clearance c WHERE c.decided_by_id = {r}.id) "
    "OR pp.id IN (SELECT c.patient_id FROM recovery_clearanceevent e "
    "JOIN recovery_clearance c ON c.id = e.clearance_id WHERE e.actor_id = {r}.id) "
    "OR pp.id IN (SELECT a.patient_id FROM plans_alert a WHERE a.acknowledged_by_id = {r}.id)"
)


def affected_users(rows_sql: str, r: str) -> str:
    """The user ids behind some patient profiles: each patient and their clinician."""
    rows = rows_sql.format(r=r)
    # Constants of this module only: no value from outside reaches this SQL.
    return f"SELECT pp.user_id FROM {rows} UNION SELECT pp.clinician_id FROM {rows}"  # noqa: S608


def _changed_rows(events: tuple[str, ...]) -> list[tuple[str, str]]:
    """(event, row name) pairs: an update moves the pages of the rows before and after it."""
    pairs = []
    for event in events:
        if event in ("INSERT", "UPDATE"):
            pairs.append((event, "NEW"))
        if event in ("UPDATE", "DELETE"):
            pairs.append((event, "OLD"))
    return pairs


# --- PostgreSQL --------------------------------------------------------------------------------

PG_BUMP = """
    PERFORM 1 FROM recovery_user WHERE id IN ({users}) ORDER BY id FOR UPDATE;
    UPDATE recovery_user SET page_revision = page_revision + 1 WHERE id IN ({users});"""


def _pg_function(name: str, users_new: str, users_old: str | None = None) -> str:
    """A trigger function bumping the users behind NEW (insert), OLD (delete) or both (update)."""
    if users_old is None:
        body = PG_BUMP.format(users=users_new)
    else:
        body = (
            f"\n    IF TG_OP = 'INSERT' THEN{PG_BUMP.format(users=users_new)}"
            f"\n    ELSIF TG_OP = 'DELETE' THEN{PG_BUMP.format(users=users_old)}"
            f"\n    ELSE{PG_BUMP.format(users=f'{users_new} UNION {users_old}')}"
            "\n    END IF;"
        )
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$\nBEGIN{body}\n"
        "    RETURN NULL;\nEND;\n$$ LANGUAGE plpgsql;\n"
    )


def postgresql_forward() -> str:
    parts = []
    for table, (events, rows) in PATIENT_ROWS.items():
        name = f"stepwise_rev_{table}"
        parts.append(
            _pg_function(name, affected_users(rows, "NEW"), affected_users(rows, "OLD"))
            + f"CREATE CONSTRAINT TRIGGER {table}_page_revision AFTER {' OR '.join(events)} "
            f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {name}();\n"
        )
    parts.append(
        _pg_function(
            "stepwise_rev_recovery_patientprofile",
            PROFILE_USERS.format(r="NEW"),
            PROFILE_USERS.format(r="OLD"),
        )
        + "CREATE CONSTRAINT TRIGGER recovery_patientprofile_page_revision "
        "AFTER INSERT OR UPDATE OR DELETE ON recovery_patientprofile "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
        "EXECUTE FUNCTION stepwise_rev_recovery_patientprofile();\n"
    )
    parts.append(
        _pg_function("stepwise_rev_library", LIBRARY_USERS, None).replace(
            "TG_OP <> 'DELETE'", "TRUE"
        )
    )
    for table in LIBRARY_TABLES:
        parts.append(
            f"CREATE TRIGGER {table}_page_revision AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION stepwise_rev_library();\n"
        )
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in USER_DISPLAY_COLUMNS)
    parts.append(
        _pg_function("stepwise_rev_recovery_user", affected_users(USER_ROWS, "NEW"))
        + "CREATE CONSTRAINT TRIGGER recovery_user_page_revision AFTER UPDATE ON recovery_user "
        f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ({changed}) "
        "EXECUTE FUNCTION stepwise_rev_recovery_user();\n"
    )
    parts.append(
        """
CREATE OR REPLACE FUNCTION stepwise_page_revision_rises() RETURNS trigger AS $$
BEGIN
    IF NEW.page_revision <= OLD.page_revision THEN
        NEW.page_revision := OLD.page_revision + 1;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER recovery_user_page_revision_rises BEFORE UPDATE ON recovery_user
    FOR EACH ROW EXECUTE FUNCTION stepwise_page_revision_rises();
"""
    )
    return "\n".join(parts)


def postgresql_backward() -> str:
    tables = [*PATIENT_ROWS, "recovery_patientprofile", "recovery_user"]
    parts = [
        f"DROP TRIGGER IF EXISTS {t}_page_revision ON {t};" for t in [*tables, *LIBRARY_TABLES]
    ]
    parts += [f"DROP FUNCTION IF EXISTS stepwise_rev_{t}();" for t in [*tables, "library"]]
    parts += [
        "DROP TRIGGER IF EXISTS recovery_user_page_revision_rises ON recovery_user;",
        "DROP FUNCTION IF EXISTS stepwise_page_revision_rises();",
    ]
    return "\n".join(parts)


# --- SQLite ------------------------------------------------------------------------------------


def _sqlite_trigger(name: str, event: str, table: str, users: str, when: str = "") -> str:
    return (  # noqa: S608 (constants of this module only)
        f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW {when}BEGIN "
        f"UPDATE recovery_user SET page_revision = page_revision + 1 WHERE id IN ({users}); END"
    )


def sqlite_forward() -> list[str]:
    statements = []
    for table, (events, rows) in PATIENT_ROWS.items():
        for event, r in _changed_rows(events):
            statements.append(
                _sqlite_trigger(
                    f"{table}_page_revision_{event.lower()}_{r.lower()}",
                    event,
                    table,
                    affected_users(rows, r),
                )
            )
    for table in LIBRARY_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            statements.append(
                _sqlite_trigger(
                    f"{table}_page_revision_{event.lower()}", event, table, LIBRARY_USERS
                )
            )
    for event, r in _changed_rows(("INSERT", "UPDATE", "DELETE")):
        statements.append(
            _sqlite_trigger(
                f"recovery_patientprofile_page_revision_{event.lower()}_{r.lower()}",
                event,
                "recovery_patientprofile",
                PROFILE_USERS.format(r=r),
            )
        )
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in USER_DISPLAY_COLUMNS)
    statements.append(
        _sqlite_trigger(
            "recovery_user_page_revision",
            "UPDATE",
            "recovery_user",
            affected_users(USER_ROWS, "NEW"),
            when=f"WHEN {changed} ",
        )
    )
    statements.append(
        "CREATE TRIGGER recovery_user_page_revision_rises AFTER UPDATE ON recovery_user "
        "FOR EACH ROW WHEN NEW.page_revision <= OLD.page_revision BEGIN "
        "UPDATE recovery_user SET page_revision = OLD.page_revision + 1 WHERE id = NEW.id; END"
    )
    return statements


def sqlite_backward() -> list[str]:
    names = []
    for table, (events, _rows) in PATIENT_ROWS.items():
        names += [
            f"{table}_page_revision_{e.lower()}_{r.lower()}" for e, r in _changed_rows(events)
        ]
    names += [
        f"{t}_page_revision_{e.lower()}"
        for t in LIBRARY_TABLES
        for e in ("insert", "update", "delete")
    ]
    names += [
        f"recovery_patientprofile_page_revision_{e.lower()}_{r.lower()}"
        for e, r in _changed_rows(("INSERT", "UPDATE", "DELETE"))
    ]
    names += ["recovery_user_page_revision", "recovery_user_page_revision_rises"]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in names]


def run(schema_editor, postgresql: Callable[[], str], sqlite: Callable[[], list[str]]) -> None:
    """Run the trigger SQL of the connection's database (other databases get no triggers)."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(postgresql(), params=None)
    elif vendor == "sqlite":
        for statement in sqlite():
            schema_editor.execute(statement, params=None)


def forward(apps, schema_editor):
    run(schema_editor, postgresql_forward, sqlite_forward)


def backward(apps, schema_editor):
    run(schema_editor, postgresql_backward, sqlite_backward)


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0002_sessionlog_sessionlog_plan_recent_idx"),
        ("recovery", "0004_user_page_revision"),
    ]
    operations = [migrations.RunPython(forward, backward)]
