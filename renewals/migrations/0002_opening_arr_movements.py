"""Every existing account with ARR gets an opening ``new`` movement for its current ARR, dated its
``customer_since`` (else the day it was created; never later than today), so that the ledger explains
every account's ARR from the start. Idempotent: an account that already has a movement is left alone."""

from django.db import migrations

OPENING_SQL = """
INSERT INTO renewals_arrmovement (tenant_id, account_id, date, kind, amount, source, ref_type, created_at)
SELECT a.tenant_id, a.id, LEAST(COALESCE(a.customer_since, a.created_at::date), CURRENT_DATE), 'new', a.arr,
       'opening', '', NOW()
FROM accounts_account a
WHERE a.arr > 0
  AND NOT EXISTS (SELECT 1 FROM renewals_arrmovement m WHERE m.account_id = a.id)
"""


def open_ledger(apps, schema_editor):
    schema_editor.execute(OPENING_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("renewals", "0001_arr_ledger"),
        ("accounts", "0003_activity_source_help"),
    ]

    operations = [migrations.RunPython(open_ledger, migrations.RunPython.noop)]
