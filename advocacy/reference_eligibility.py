"""Who may be asked for a reference: the tenant's eligibility rules applied to all its accounts at once.

Pure (no database): :func:`evaluate` takes the frame of facts ``reference_selectors.eligibility_facts``
reads in one query (one row per active account) and returns, per account and per rule, whether it holds
and why, plus ``eligible`` (every rule that is on holds). The handbooks' default rules (000, 001):

* ``nps``: the account's latest NPS response scores at least ``nps_min`` (9: a promoter);
* ``band``: its health status is the tenant's top band;
* ``tenure``: a customer for at least ``min_customer_months`` (12) whole months: ``customer_since`` on or
  before the same day that many months ago (month ends clamp: 12 months before 2026-02-28 is 2025-02-28);
* ``champion``: at least one contact marked champion, who has not left the company, marked willing.

A rule switched off (``nps_min``/``min_customer_months`` null, a flag false) holds for everyone (``None``
in its column, "rule off" as the reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from dateutil.relativedelta import relativedelta

RULES = ("nps", "band", "tenure", "champion")
RULE_LABELS = {
    "nps": "Promoter (latest NPS)",
    "band": "Top health band",
    "tenure": "Customer tenure",
    "champion": "Willing champion",
}
FACT_COLUMNS = ("name", "health_status", "customer_since", "latest_nps", "willing_champions")


@dataclass(frozen=True)
class Rules:
    nps_min: int | None = 9
    require_top_band: bool = True
    min_customer_months: int | None = 12
    require_willing_champion: bool = True

    @classmethod
    def from_settings(cls, row) -> Rules:
        return cls(nps_min=row.nps_min, require_top_band=row.require_top_band,
                   min_customer_months=row.min_customer_months, require_willing_champion=row.require_willing_champion)

    def active(self) -> list[str]:
        flags = {"nps": self.nps_min is not None, "band": self.require_top_band,
                 "tenure": self.min_customer_months is not None, "champion": self.require_willing_champion}
        return [rule for rule in RULES if flags[rule]]


def tenure_cutoff(today: date, months: int) -> date:
    """The latest ``customer_since`` that counts as ``months`` months a customer on ``today``."""
    return today - relativedelta(months=months)


def evaluate(facts: pd.DataFrame, rules: Rules, *, today: date, top_band: dict | None) -> pd.DataFrame:
    """Per account (the index of ``facts``): ``ok_<rule>`` (True/False, None when the rule is off),
    ``why_<rule>`` (text), ``eligible`` and ``failing`` (how many rules that are on fail)."""
    out = pd.DataFrame(index=facts.index)
    if facts.empty:
        for rule in RULES:
            out[f"ok_{rule}"], out[f"why_{rule}"] = pd.Series(dtype=object), pd.Series(dtype=object)
        out["eligible"], out["failing"] = pd.Series(dtype=bool), pd.Series(dtype="int64")
        return out
    active = rules.active()

    nps = pd.to_numeric(facts["latest_nps"], errors="coerce")
    if "nps" in active:
        ok = nps >= rules.nps_min
        out["ok_nps"] = ok
        out["why_nps"] = np.where(
            nps.isna(), "No NPS response yet",
            np.where(ok, "Latest NPS " + nps.fillna(0).astype(int).astype(str),
                     "Latest NPS " + nps.fillna(0).astype(int).astype(str) + f", below {rules.nps_min}"))

    if "band" in active:
        status = facts["health_status"]
        if top_band is None:
            out["ok_band"] = False
            out["why_band"] = "No health bands configured"
        else:
            ok = status == top_band["key"]
            out["ok_band"] = ok
            label = top_band.get("label") or top_band["key"]
            out["why_band"] = np.where(
                status.isna(), "No health score yet",
                np.where(ok, f"Health in {label}", "Health " + status.fillna("").astype(str) + f", not {label}"))

    if "tenure" in active:
        cutoff = tenure_cutoff(today, rules.min_customer_months)
        since = pd.to_datetime(facts["customer_since"], errors="coerce")
        ok = since <= pd.Timestamp(cutoff)
        months = ((today.year - since.dt.year) * 12 + (today.month - since.dt.month)
                  - (since.dt.day > today.day).astype(int))
        out["ok_tenure"] = ok
        out["why_tenure"] = np.where(
            since.isna(), "Customer since: unknown",
            np.where(ok, "Customer for " + months.fillna(0).astype(int).astype(str) + " months",
                     "Customer for " + months.fillna(0).astype(int).astype(str)
                     + f" months, under {rules.min_customer_months}"))

    if "champion" in active:
        champions = pd.to_numeric(facts["willing_champions"], errors="coerce").fillna(0).astype(int)
        ok = champions > 0
        out["ok_champion"] = ok
        out["why_champion"] = np.where(
            ok, champions.astype(str) + " willing champion" + np.where(champions > 1, "s", ""),
            "No active champion marked willing")

    for rule in RULES:
        if rule not in active:
            out[f"ok_{rule}"] = None
            out[f"why_{rule}"] = "Rule off"
    checks = out[[f"ok_{rule}" for rule in active]].astype(bool) if active else pd.DataFrame(index=out.index)
    out["failing"] = (~checks).sum(axis=1).astype("int64") if active else 0
    out["eligible"] = out["failing"] == 0
    return out
