"""PostgreSQL refuses to rewrite the clearance and audit trails, whatever code runs.

The models refuse updates and deletes too; these triggers also stop raw SQL and bulk paths. The
one update allowed on audit rows is Django's SET NULL when an actor or patient is deleted.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION stepwise_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'append-only table %: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION stepwise_audit_update_guard() RETURNS trigger AS $$
BEGIN
    IF NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.action = OLD.action
       AND NEW.object_type = OLD.object_type AND NEW.object_id = OLD.object_id
       AND NEW.outcome = OLD.outcome AND NEW.ip IS NOT DISTINCT FROM OLD.ip
       AND NEW.detail = OLD.detail
       AND (NEW.actor_id IS NULL OR NEW.actor_id = OLD.actor_id)
       AND (NEW.patient_id IS NULL OR NEW.patient_id = OLD.patient_id) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'append-only table %: UPDATE refused', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER clearanceevent_append_only BEFORE UPDATE OR DELETE ON recovery_clearanceevent
    FOR EACH ROW EXECUTE FUNCTION stepwise_refuse_change();
CREATE TRIGGER auditevent_no_delete BEFORE DELETE ON recovery_auditevent
    FOR EACH ROW EXECUTE FUNCTION stepwise_refuse_change();
CREATE TRIGGER auditevent_update_guard BEFORE UPDATE ON recovery_auditevent
    FOR EACH ROW EXECUTE FUNCTION stepwise_audit_update_guard();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS clearanceevent_append_only ON recovery_clearanceevent;
DROP TRIGGER IF EXISTS auditevent_no_delete ON recovery_auditevent;
DROP TRIGGER IF EXISTS auditevent_update_guard ON recovery_auditevent;
DROP FUNCTION IF EXISTS stepwise_refuse_change();
DROP FUNCTION IF EXISTS stepwise_audit_update_guard();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("recovery", "0002_default_treatment_types")]
    operations = [migrations.RunPython(forward, backward)]
