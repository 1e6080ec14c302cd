"""Support pages, one module per page: ``queue`` (by next breach, filters, saved views, claim, bulk assign,
live refresh; its rows are rendered by ``queue_rows``), ``detail`` (conversation, SLA panel, transitions,
properties, account, logs, downloads), ``create`` (the new-ticket form), ``panel`` (the account 360
"Support tickets" panel). ``common`` holds the decorators they share; the SLA settings page is
``tickets.settings_views``.

Objects are fetched through ``tickets.access`` and reads go through ``tickets.selectors`` (and
``knowledge.selectors`` for KB suggestions); writes go through ``tickets.services``. The KB panel's link,
unlink and search endpoints are knowledge's (``knowledge.ticket_links``). Another tenant's ticket is a
404; writes need ``tickets.write``.
"""
