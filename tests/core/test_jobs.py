"""GET /api/v1/jobs/{id}/: the status of a requested recompute, tenant-scoped, in the OpenAPI schema."""

from __future__ import annotations

import pytest

from core import jobs
from core.models import Job

pytestmark = pytest.mark.django_db


def test_an_inline_recompute_answers_its_succeeded_job(api, tenant):
    response = api.post("/api/v1/health/recompute/")
    assert response.status_code == 200
    body = api.get(f"/api/v1/jobs/{response.json()['job_id']}/").json()
    assert set(body) >= {"id", "kind", "status", "created_at", "started_at", "finished_at", "error"}
    assert body["kind"] == "health.recompute" and body["status"] == "succeeded" and body["error"] == ""
    assert body["started_at"] and body["finished_at"] and body["result"]["accounts"] == 0


def test_another_tenants_job_and_a_malformed_id_are_404(api, other_api, tenant):
    job_id = api.post("/api/v1/health/recompute/").json()["job_id"]
    assert other_api.get(f"/api/v1/jobs/{job_id}/").status_code == 404
    assert api.get("/api/v1/jobs/not-a-uuid/").status_code == 404
    assert api.get("/api/v1/jobs/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_a_failing_job_records_its_error_and_an_ended_job_is_not_run_again(tenant):
    job = jobs.job_create(tenant=tenant, kind="health.recompute")

    def boom():
        raise ValueError("no scorecard")

    with pytest.raises(ValueError):
        jobs.job_run(str(job.pk), boom)
    job.refresh_from_db()
    assert job.status == "failed" and job.error == "ValueError: no scorecard" and job.attempts == 1
    ran = []
    jobs.job_run(str(job.pk), lambda: ran.append(1))  # a redelivery of an ended job
    assert ran == [] and Job.all_tenants.get(pk=job.pk).attempts == 1


def test_a_redelivered_running_job_runs_again_and_succeeds(tenant):
    job = jobs.job_create(tenant=tenant, kind="health.recompute")
    Job.all_tenants.filter(pk=job.pk).update(status="running", attempts=1)  # its worker died mid-task
    assert jobs.job_run(str(job.pk), lambda: {"accounts": 3}) == {"accounts": 3}
    job.refresh_from_db()
    assert job.status == "succeeded" and job.attempts == 2 and job.result == {"accounts": 3}


def test_the_job_endpoint_is_in_the_schema(api):
    schema = api.get("/api/v1/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/jobs/{id}/"]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"id", "kind", "status", "started_at", "finished_at", "error"} <= set(schema["components"]["schemas"][ref]["properties"])
