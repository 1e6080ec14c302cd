"""The health and usage panels of the account 360 page (registered in HealthConfig.ready()).

Each panel's context runs a constant number of queries for one account.
"""

from __future__ import annotations

from accounts.models import Account
from accounts.panels import AccountPanel, register_account_panel
from health import charts, selectors
from health.forms import SentimentForm
from tenancy.decorators import member_can
from tenancy.permissions import HEALTH_WRITE


def format_raw(value: float | None, unit: str | None) -> str:
    """A measure's raw value in words a CSM reads at a glance."""
    if value is None:
        return "no data"
    if unit == "ratio":
        return f"{value * 100:.0f}%"
    if unit == "percent_change":
        return f"{value:+.0f}%"
    if unit == "days":
        return f"{value:.0f} days"
    if unit == "per_user":
        return f"{value:.1f} per user / week"
    if unit == "per_seat":
        return f"{value:.2f} per seat"
    if unit == "score":
        return f"{value:.0f} / 5"
    if unit == "bool":
        return "yes" if value >= 1 else "no"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def explain(card: dict, snapshot) -> list[dict]:
    """Each component of the latest computation with each measure's raw value and score (the "why")."""
    by_key = {comp["key"]: comp for comp in card["components"]}
    shown = snapshot.components if snapshot is not None else [
        {"key": c["key"], "label": c["label"], "weight": c["weight"], "score": None} for c in card["components"]
    ]
    measured = snapshot.measures if snapshot is not None else {}
    explained = []
    for comp in shown:
        values = measured.get(comp["key"], {})
        definitions = by_key.get(comp["key"], {}).get("measures") or [
            {"key": key, "label": key.replace("_", " ").capitalize()} for key in values
        ]
        measures = []
        for item in definitions:
            raw, score = (values.get(item["key"]) or [None, None])[:2]
            measures.append({
                "key": item["key"], "label": item["label"], "raw": raw, "score": score,
                "raw_display": format_raw(raw, item.get("unit")), "available": item.get("available", True),
                "window_days": item.get("window_days"),
            })
        explained.append({**comp, "measures": measures})
    return explained


def health_panel_context(request, account: Account, *, sentiment_form: SentimentForm | None = None) -> dict:
    config = selectors.scorecard_get()
    card = selectors.resolve_measures(config.as_dict())
    snapshot = selectors.latest_snapshot(account_id=account.pk)
    points = selectors.trend_points(account_id=account.pk)
    bands = card["bands"]
    band = next((b for b in bands if b["key"] == account.health_status), None)
    return {
        "account": account,
        "score": account.health_score,
        "band": band,
        "bands": bands,
        "computed_at": snapshot.computed_at if snapshot else account.health_computed_at,
        "components": explain(card, snapshot),
        "trend": charts.score_chart([day for day, _ in points], [score for _, score in points], bands, width=420,
                                     height=140),
        "trend_points": len(points),
        "sentiment": selectors.current_sentiment(account_id=account.pk),
        "sentiment_form": sentiment_form or SentimentForm(),
        "can_write": member_can(request, HEALTH_WRITE),
        "risks": selectors.open_risks(account_id=account.pk),
    }


def usage_panel_context(request, account: Account) -> dict:
    rows = selectors.usage_daily(account_id=account.pk, days=90)
    days = [row["date"] for row in rows]
    has_data = any(row["features"] is not None for row in rows)
    return {
        "has_data": has_data,
        "users": charts.line_chart(days, [
            {"label": "Active users", "values": [row["active_users"] for row in rows], "css": "active"},
            {"label": "Licensed seats", "values": [row["licensed_seats"] for row in rows], "css": "seats",
             "dashed": True},
        ]),
        "logins": charts.bar_chart(days, [row["logins"] for row in rows], label="logins"),
        "features": charts.line_chart(days, [
            {"label": "Features used", "values": [row["features"] for row in rows], "css": "features"},
        ], height=100),
        "latest": next((row for row in reversed(rows) if row["features"] is not None), None),
    }


def register() -> None:
    register_account_panel(AccountPanel(
        key="health", template="health/_account_panel.html", context=health_panel_context, order=10, column="main",
    ))
    register_account_panel(AccountPanel(
        key="usage", template="health/_usage_panel.html", context=usage_panel_context, order=20, column="main",
    ))
