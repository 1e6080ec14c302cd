"""Health API: product usage in and out, account health and its history, on-demand recompute,
the scorecard, risk rules, sources and CSM sentiment (see shared/API.md, "Product usage" and "Health")."""

from __future__ import annotations

from datetime import date

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import StandardPagination
from core.api.viewsets import TenantScopedMixin
from core.registries.health import all_rules, all_sources
from health import retention, risks, selectors, services
from health.access import access_account_health
from health.scorecard import ScorecardInvalid, validate_scorecard
from tenancy.permissions import HEALTH_CONFIGURE, HEALTH_WRITE
from tenancy.principal import principal_of


class HealthApiView(TenantScopedMixin, APIView):
    """Base of the non-model health endpoints: tenant-scoped, writes need ``write_capability``."""

    def access_account(self, pk, *, for_write: bool = False):
        return access_account_health(pk, principal=principal_of(self.request), for_write=for_write)


# --- Usage ------------------------------------------------------------------------------------


class UsageRowSerializer(serializers.Serializer):
    """One usage row (documentation: the endpoint validates batches in bulk, not row by row)."""

    account = serializers.IntegerField(required=False, help_text="Account id (or give account_external_id).")
    account_external_id = serializers.CharField(required=False)
    date = serializers.DateField(help_text="YYYY-MM-DD, from 1900-01-01 to tomorrow (in the tenant's time zone).")
    metric = serializers.CharField(
        help_text="active_users, logins, api_calls, documents_ingested, searches, licensed_seats or feature:<name> "
                  "(no spaces or control characters)."
    )
    value = serializers.FloatField(min_value=0)


class UsageOutSerializer(serializers.Serializer):
    account = serializers.IntegerField()
    date = serializers.DateField()
    metric = serializers.CharField()
    value = serializers.FloatField()


def _date_param(request, name: str) -> date | None:
    text = request.query_params.get(name)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError({name: ["Use a date YYYY-MM-DD."]}) from exc


class UsageView(HealthApiView):
    """Product usage: integrations push daily metrics per account; a resend replaces (no double count)."""

    write_capability = HEALTH_WRITE
    pagination_class = StandardPagination

    @extend_schema(
        request=UsageRowSerializer(many=True),
        responses={200: inline_serializer("UsageAccepted", {"accepted": serializers.IntegerField()})},
        description=(
            "Upsert up to 10,000 rows keyed by (account, date, metric). A batch with any bad row is "
            'rejected whole (400) with each bad row\'s index as a key: `{"3": ["date: ..."]}`.'
        ),
    )
    def post(self, request):
        try:
            accepted = services.usage_ingest(rows=request.data)
        except services.UsageBatchInvalid as exc:
            raise ValidationError(exc.errors) from exc
        return Response({"accepted": accepted})

    @extend_schema(
        parameters=[
            OpenApiParameter("account", OpenApiTypes.INT, description="Account id"),
            OpenApiParameter("metric", OpenApiTypes.STR),
            OpenApiParameter("start", OpenApiTypes.DATE, description="From this date (inclusive)"),
            OpenApiParameter("end", OpenApiTypes.DATE, description="To this date (inclusive)"),
        ],
        responses=UsageOutSerializer(many=True),
    )
    def get(self, request):
        account_id = None
        if request.query_params.get("account"):
            try:
                account_id = int(request.query_params["account"])
            except ValueError as exc:
                raise ValidationError({"account": ["Give an account id."]}) from exc
            self.access_account(account_id)
        rows = selectors.usage_rows(
            account_id=account_id, metric=request.query_params.get("metric", ""),
            start=_date_param(request, "start"), end=_date_param(request, "end"),
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response([
            {"account": row["account_id"], "date": row["date"], "metric": row["metric"], "value": row["value"]}
            for row in page
        ])


# --- Account health ---------------------------------------------------------------------------


class ComponentScoreSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    weight = serializers.IntegerField()
    score = serializers.FloatField(allow_null=True)


class AccountHealthSerializer(serializers.Serializer):
    score = serializers.FloatField(allow_null=True)
    status = serializers.CharField(allow_null=True)
    computed_at = serializers.DateTimeField(allow_null=True)
    components = ComponentScoreSerializer(many=True)


class SnapshotSerializer(serializers.Serializer):
    computed_at = serializers.DateTimeField()
    score = serializers.FloatField(allow_null=True)
    status = serializers.CharField(allow_null=True)
    components = ComponentScoreSerializer(many=True)
    measures = serializers.DictField(help_text='{"<component>": {"<measure>": [raw value, score]}}')
    scorecard_version = serializers.IntegerField()


class AccountHealthView(HealthApiView):
    @extend_schema(responses=AccountHealthSerializer, description=(
        "The account's score (weighted mean of the component scores that have data, weights renormalised, "
        "one decimal), its band, and each component (null when it has no data)."
    ))
    def get(self, request, pk: int):
        account = self.access_account(pk)
        return Response(AccountHealthSerializer(selectors.account_health(account=account)).data)


class AccountHealthHistoryView(HealthApiView):
    pagination_class = StandardPagination

    @extend_schema(responses=SnapshotSerializer(many=True), description="One entry per computation, newest first.")
    def get(self, request, pk: int):
        account = self.access_account(pk)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.snapshot_history(account_id=account.pk), request, view=self)
        return paginator.get_paginated_response([
            {"computed_at": s.computed_at, "score": float(s.score) if s.score is not None else None,
             "status": s.status, "components": s.components, "measures": s.measures,
             "scorecard_version": s.scorecard_version}
            for s in page
        ])


class RecomputeView(HealthApiView):
    write_capability = HEALTH_WRITE

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer("RecomputeDone", {
                "status": serializers.CharField(), "job_id": serializers.UUIDField(),
                "accounts": serializers.IntegerField(),
                "computed_at": serializers.DateTimeField(), "seconds": serializers.FloatField(),
                "risks_opened": serializers.IntegerField(), "risks_closed": serializers.IntegerField()}),
            202: inline_serializer("RecomputeQueued", {"status": serializers.CharField(),
                                                       "job_id": serializers.UUIDField()}),
        },
        description="Recompute every account of the tenant: 202 with a job id when queued to the broker, "
                    "200 with the outcome when done inline (no broker). Follow the job at "
                    "`GET /api/v1/jobs/{job_id}/`.",
    )
    def post(self, request):
        outcome = services.request_tenant_recompute(tenant=self.tenant)
        code = status.HTTP_202_ACCEPTED if outcome["status"] == "queued" else status.HTTP_200_OK
        return Response(outcome, status=code)


# --- Scorecard, sources, risk rules -------------------------------------------------------------


class MappingSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["linear", "ranges"])
    zero_at = serializers.FloatField(required=False, help_text="linear: the raw value scoring 0")
    full_at = serializers.FloatField(required=False, help_text="linear: the raw value scoring 100")
    ranges = serializers.ListField(child=serializers.DictField(), required=False,
                                   help_text='ranges: [{"min": number or null, "score": 0-100}], min descending')


class MeasureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    source = serializers.CharField(help_text="A key from /api/v1/health/sources/")
    window_days = serializers.IntegerField(required=False, help_text="Default: the source's")
    weight = serializers.FloatField(required=False, help_text="Relative weight within the component (default 1)")
    mapping = MappingSerializer(required=False, help_text="Default: the source's")
    available = serializers.BooleanField(read_only=True, help_text="Whether the source is registered")


class ComponentSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    weight = serializers.IntegerField(help_text="Whole percent; all components sum to 100")
    measures = MeasureSerializer(many=True)


class BandSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    min_score = serializers.FloatField()
    colour = serializers.CharField(required=False, help_text="green, yellow, orange, red, blue or grey")


class ScorecardSerializer(serializers.Serializer):
    """The scorecard JSON. The fields document its shape; its validation is the one validator behind the
    settings page too, ``health.scorecard.validate_scorecard`` (error keys are paths such as
    ``components[0].measures[1]``)."""

    components = ComponentSerializer(many=True)
    bands = BandSerializer(many=True)
    version = serializers.IntegerField(read_only=True)

    def to_internal_value(self, data):
        try:
            return validate_scorecard(data)
        except ScorecardInvalid as exc:
            raise ValidationError(exc.errors) from exc


def scorecard_payload(config: selectors.ScorecardConfig) -> dict:
    resolved = selectors.resolve_measures(config.as_dict())
    stored = config.as_dict()
    for comp, shown in zip(stored["components"], resolved["components"], strict=True):
        for item, info in zip(comp["measures"], shown["measures"], strict=True):
            item["available"] = info["available"]
    return {**stored, "version": config.version}


class ScorecardView(HealthApiView):
    write_capability = HEALTH_CONFIGURE

    @extend_schema(responses=ScorecardSerializer)
    def get(self, request):
        return Response(scorecard_payload(selectors.scorecard_get()))

    @extend_schema(request=ScorecardSerializer, responses=ScorecardSerializer, description=(
        "Replace the scorecard. Component weights are whole percentages summing to 100; 3 or 4 bands, "
        "the lowest at 0. Any error is a 400 and nothing changes. Every account is then recomputed."
    ))
    def put(self, request):
        serializer = ScorecardSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        config = services.scorecard_save(data=serializer.validated_data, actor=self.acting_user)
        return Response(scorecard_payload(config))


class SourcesView(HealthApiView):
    @extend_schema(responses=inline_serializer("HealthSource", {
        "key": serializers.CharField(), "label": serializers.CharField(), "unit": serializers.CharField(),
        "window_days": serializers.IntegerField(allow_null=True), "default_mapping": serializers.DictField(),
        "fill_missing": serializers.FloatField(allow_null=True), "description": serializers.CharField(),
        "category": serializers.CharField()}, many=True))
    def get(self, request):
        return Response([source.as_dict() for source in all_sources()])


def risk_rules_payload(tenant) -> dict:
    settings = risks.rule_settings(tenant)
    return {
        "rules": [
            {"key": rule.key, "label": rule.label, "description": rule.description,
             "enabled": settings[rule.key]["enabled"],
             "params": {name: settings[rule.key][name] for name in rule.params},
             "param_labels": rule.param_labels}
            for rule in all_rules()
        ],
        "competitors": list((tenant.settings or {}).get("competitors") or []),
        "retention": retention.policy_from_settings(tenant.settings).as_dict(),
    }


RETENTION_HELP = ("Health snapshot retention: every snapshot for keep_all_days (default 14), then the last of each "
                  "day up to keep_daily_days (default 400); an account's newest is always kept. Whole days 1-3650, "
                  "keep_all_days <= keep_daily_days.")


class RiskRulesView(HealthApiView):
    write_capability = HEALTH_CONFIGURE

    @extend_schema(responses=inline_serializer("RiskRules", {
        "rules": serializers.ListField(child=serializers.DictField()),
        "competitors": serializers.ListField(child=serializers.CharField()),
        "retention": serializers.DictField(child=serializers.IntegerField(), help_text=RETENTION_HELP)}))
    def get(self, request):
        return Response(risk_rules_payload(self.tenant))

    @extend_schema(
        request=inline_serializer("RiskRulesUpdate", {
            "rules": serializers.DictField(required=False, help_text='{"usage_drop": {"enabled": true, "percent": 30}}'),
            "competitors": serializers.ListField(child=serializers.CharField(), required=False),
            "retention": serializers.DictField(child=serializers.IntegerField(), required=False,
                                               help_text='{"keep_all_days": 14, "keep_daily_days": 400}. '
                                                         + RETENTION_HELP)}),
        responses=inline_serializer("RiskRulesOut", {
            "rules": serializers.ListField(child=serializers.DictField()),
            "competitors": serializers.ListField(child=serializers.CharField()),
            "retention": serializers.DictField(child=serializers.IntegerField())}),
    )
    def put(self, request):
        data = request.data
        if not isinstance(data, dict):
            raise ValidationError({"non_field_errors": ["Send an object with rules and/or competitors."]})
        competitors = data.get("competitors")
        if competitors is not None and (not isinstance(competitors, list)
                                        or not all(isinstance(c, str) for c in competitors)):
            raise ValidationError({"competitors": ["Send a list of names."]})
        try:
            services.risk_settings_save(tenant=self.tenant, rules=data.get("rules"), competitors=competitors,
                                        retention_days=data.get("retention"))
        except risks.RiskSettingsInvalid as exc:
            raise ValidationError(exc.errors) from exc
        return Response(risk_rules_payload(self.tenant))


# --- Sentiment --------------------------------------------------------------------------------


class SentimentSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    expires_at = serializers.DateTimeField(required=False)
    expires_in_days = serializers.IntegerField(required=False, min_value=1, max_value=365)
    created_at = serializers.DateTimeField(read_only=True)
    author = serializers.EmailField(source="author.email", read_only=True, allow_null=True)
    current = serializers.BooleanField(source="is_current", read_only=True)


class SentimentView(HealthApiView):
    """The CSM's sentiment (1-5) for an account, used by the ``csm_sentiment`` source until it expires."""

    write_capability = HEALTH_WRITE
    pagination_class = StandardPagination

    @extend_schema(responses=SentimentSerializer(many=True))
    def get(self, request, pk: int):
        account = self.access_account(pk)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.sentiment_history(account_id=account.pk), request, view=self)
        return paginator.get_paginated_response(SentimentSerializer(page, many=True).data)

    @extend_schema(request=SentimentSerializer, responses={201: SentimentSerializer})
    def post(self, request, pk: int):
        account = self.access_account(pk, for_write=True)
        serializer = SentimentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sentiment = services.sentiment_set(account=account, actor=self.acting_user, **serializer.validated_data)
        return Response(SentimentSerializer(sentiment).data, status=status.HTTP_201_CREATED)
