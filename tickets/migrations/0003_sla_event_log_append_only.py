"""The SLA event log is append-only in the database too: UPDATE is refused by a trigger
(DELETE stays possible, for the cascades of a ticket, account or tenant being deleted)."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION tickets_sla_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'tickets_ticketslaevent is append-only (UPDATE refused)';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tickets_sla_event_no_update BEFORE UPDATE ON tickets_ticketslaevent
    FOR EACH ROW EXECUTE FUNCTION tickets_sla_event_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS tickets_sla_event_no_update ON tickets_ticketslaevent;
DROP FUNCTION IF EXISTS tickets_sla_event_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_big_tables_without_tenant_index")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
