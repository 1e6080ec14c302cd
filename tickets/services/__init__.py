"""Every write on tickets, one module per job (keyword-only, ``@transaction.atomic``, the acting user is
``actor``). Pages, API, tasks, email intake and seeding import the module they need:

* ``lifecycle``: ``ticket_create``, ``ticket_update``, ``ticket_transition``, ``ticket_reply``,
  ``ticket_set_severity``, ``ticket_reapply_sla``;
* ``assignment``: ``ticket_assign``, ``ticket_claim``, ``tickets_bulk_assign``, ``ticket_set_support_level``,
  ``ticket_escalate``;
* ``attachments``: ``ticket_attach``;
* ``sla_config``: ``sla_policies_replace``, ``business_hours_update``, ``support_settings_update``;
* ``notify``: the emails (outbox), their threading with the customer (``thread_root_id``,
  ``thread_ticket_id``, ``customer_address``);
* ``transitions``: ``apply_transition``, one status change in named steps (used by the modules above);
* ``saved_views``: ``queue_view_save``, ``queue_view_delete``;
* ``common``: the number sequence, row lock, input checks and change-log record they share.
(Triage of inbound email: ``tickets.email_intake``.)
"""
