"""``GET /api/v1/jobs/{id}/``: the status of background work the tenant asked for (e.g. a health recompute)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from core import jobs
from core.api.viewsets import TenantScopedMixin
from core.models import Job


class JobSerializer(serializers.ModelSerializer):
    class Meta:
        model = Job
        fields = ["id", "kind", "status", "created_at", "started_at", "finished_at", "attempts", "result", "error"]
        extra_kwargs = {
            "kind": {"help_text": "What the job does, e.g. health.recompute"},
            "status": {"help_text": "queued, running, succeeded or failed"},
            "result": {"help_text": "The outcome once succeeded (e.g. accounts recomputed)"},
            "error": {"help_text": "Why it failed (empty otherwise)"},
        }


class JobView(TenantScopedMixin, APIView):
    @extend_schema(
        parameters=[OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The job id")],
        responses={200: JobSerializer},
        description="The status of a background job of this tenant (another tenant's job is 404). "
                    "`POST /api/v1/health/recompute/` answers the id of its job.",
    )
    def get(self, request, **kwargs):
        try:
            job = jobs.job_get(pk=kwargs["id"])
        except Job.DoesNotExist as exc:
            raise NotFound("No such job.") from exc
        return Response(JobSerializer(job).data)


