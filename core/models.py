"""Platform plumbing shared by every domain app: the transactional outbox and job status."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from tenancy.models import TenantModel


class OutboxMessage(models.Model):
    """Follow-up work written in the same transaction as the change that causes it.

    A row names a Celery task and its arguments. It is published on commit when the broker answers;
    whatever is left (broker down, process died) is published by the ``core.drain_outbox`` beat job.
    The row id is the Celery task id, so a message published twice is recognisably the same one.
    Not tenant-owned (the drain crosses tenants); ``tenant_id`` is recorded for inspection only.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    countdown = models.PositiveIntegerField(default=0, help_text="Seconds after creation before the task runs")
    tenant_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    available_at = models.DateTimeField(help_text="Not published again before this (backoff after a failure)")
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["available_at"], condition=Q(sent_at__isnull=True), name="core_outbox_pending_idx"),
            models.Index(fields=["sent_at"], condition=Q(sent_at__isnull=False), name="core_outbox_sent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} {self.args} ({'sent' if self.sent_at else 'pending'})"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Job(TenantModel):
    """A unit of background work someone asked for (``GET /api/v1/jobs/{id}/``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=100)
    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="Times a worker started it (a redelivery adds one)")
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["tenant", "-created_at"], name="core_job_tenant_created_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.status}"


class IdempotencyState(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"


class IdempotencyRecord(TenantModel):
    """One ``Idempotency-Key`` of one API key (API.md "Idempotent writes"), kept 24 hours.

    Claimed (``in_progress``) in its own short transaction before the endpoint runs, then ``done`` with
    the answer to replay; ``core.idempotency`` holds the rules. ``claim_id`` names the request holding
    the claim, so a request whose lease was taken over cannot overwrite or release its successor's.
    """

    api_key = models.ForeignKey("tenancy.ApiKey", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the method, path and body's SHA-256")
    state = models.CharField(max_length=20, choices=IdempotencyState.choices, default=IdempotencyState.IN_PROGRESS)
    claim_id = models.UUIDField(default=uuid.uuid4)
    locked_until = models.DateTimeField(null=True, blank=True, help_text="While in progress: the lease's end")
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "api_key", "key"], name="core_idempotency_key_unique"),
        ]
        indexes = [models.Index(fields=["expires_at"], name="core_idempotency_expires_idx")]

    def __str__(self) -> str:
        return f"{self.key} of key {self.api_key_id} ({self.state})"
