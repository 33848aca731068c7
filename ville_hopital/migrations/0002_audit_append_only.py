"""The audit trail is append-only in the database itself (PostgreSQL, the production database).

A row can be inserted, never updated or deleted, whoever asks (the admin, the ORM, a shell): a
trigger refuses it. TRUNCATE (the test runner's flush) is a table operation, not a row change, and stays possible for
the database owner. SQLite (the embedded demo) has no such guard: it is not where evidence is kept.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION ville_hopital_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % refused on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON ville_hopital_auditevent
    FOR EACH ROW EXECUTE FUNCTION ville_hopital_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS audit_append_only ON ville_hopital_auditevent;
DROP FUNCTION IF EXISTS ville_hopital_audit_append_only();
"""


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # the function body holds RAISE's own % markers

    return run


class Migration(migrations.Migration):
    dependencies = [("ville_hopital", "0001_initial")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
