"""The last line of defence against double bookings, on PostgreSQL only.

Two confirmed bookings of one room whose half-open periods ``[start, end)`` overlap are
rejected by the database itself, whatever wrote them. SQLite has no exclusion
constraints; there the transaction in ``bookings.services`` is the guard (SQLite
serializes writers), so this migration does nothing there.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE bookings_booking ADD CONSTRAINT booking_no_overlap EXCLUDE USING gist (
    room_id WITH =,
    tstzrange("start", "end", '[)') WITH &&
) WHERE (status = 'confirmed');
"""
DROP = "ALTER TABLE bookings_booking DROP CONSTRAINT IF EXISTS booking_no_overlap;"


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("bookings", "0002_initial")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
