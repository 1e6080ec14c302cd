import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tenancy.models import Role

def test_q(client, member):
    client.force_login(member(Role.SUPPORT_MANAGER))
    client.get("/tickets/settings/")
    with CaptureQueriesContext(connection) as ctx:
        client.get("/tickets/settings/")
    for q in ctx.captured_queries: print(q["sql"][:200])
