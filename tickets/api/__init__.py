"""Tickets and SLAs API (API.md "Tickets and SLAs"), one module per resource: ``tickets`` (the ticket
endpoint), ``config`` (SLA policies, business hours, support settings), ``inbound`` (email in, triage);
``serializers`` and ``common`` are shared by them."""
