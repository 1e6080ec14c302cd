"""Forms of the health pages: CSM sentiment, the scorecard editor and the risk settings.

The scorecard editor posts formsets (components ``c-0-weight``, their measures ``c-0-m-1-source``, bands
``b-0-key``) that are turned into the scorecard JSON and validated by exactly the code behind
``PUT /api/v1/health/scorecard/`` (``health.scorecard.validate_scorecard``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django import forms

from core.registries.health import get_source
from health.retention import FIELD_LABELS
from health.scorecard import BAND_COLOURS, MAX_BANDS, ScorecardInvalid, validate_scorecard

SENTIMENT_CHOICES = [
    (5, "5 · Very positive"), (4, "4 · Positive"), (3, "3 · Neutral"), (2, "2 · Concerned"), (1, "1 · Very negative"),
]
EXTRA_MEASURE_ROWS = 2
PATH_RE = re.compile(r"components\[(\d+)\](?:\.measures\[(\d+)\])?(\.mapping)?|bands\[(\d+)\]")


class SentimentForm(forms.Form):
    score = forms.TypedChoiceField(choices=SENTIMENT_CHOICES, coerce=int, label="Sentiment", initial=3)
    note = forms.CharField(required=False, max_length=2000, label="Why",
                           widget=forms.Textarea(attrs={"rows": 2, "placeholder": "What you heard or saw"}))
    expires_in_days = forms.IntegerField(min_value=1, max_value=365, initial=90, label="Valid for (days)")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def ranges_to_text(ranges: list[dict]) -> str:
    return ", ".join(f"{'*' if r['min'] is None else _text(r['min'])}:{_text(r['score'])}" for r in ranges)


def _number(text: str, what: str, errors: list[str]) -> float | int | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        errors.append(f"{what} must be a number.")
        return None
    return int(value) if value.is_integer() else value


def _ranges(text: str, what: str, errors: list[str]) -> list[dict] | None:
    items = [part.strip() for part in re.split(r"[,;\n]", text or "") if part.strip()]
    if not items:
        errors.append(f"{what}: give ranges as min:score, e.g. 0.8:100, 0.5:60, *:20.")
        return None
    parsed = []
    for item in items:
        low, _, score = item.partition(":")
        low = low.strip()
        parsed_score = _number(score, f"{what}: score in {item!r}", errors)
        parsed_low = None if low in {"*", "else", ""} else _number(low, f"{what}: minimum in {item!r}", errors)
        if parsed_score is None:
            errors.append(f"{what}: {item!r} needs a score after the colon.")
            return None
        parsed.append({"min": parsed_low, "score": parsed_score})
    return parsed


@dataclass
class MeasureRow:
    key: str = ""
    label: str = ""
    source: str = ""
    window_days: str = ""
    weight: str = ""
    mapping_type: str = ""  # "" = the source's default
    zero_at: str = ""
    full_at: str = ""
    ranges: str = ""

    def source_defaults(self) -> dict[str, str]:
        """The source's default window and mapping, shown as placeholders while they apply."""
        source = get_source(self.source) if self.source else None
        if source is None:
            return {}
        mapping = source.default_mapping or {}
        hints = {"window_days": _text(source.window_days) or "—", "mapping": mapping.get("type", "")}
        if mapping.get("type") == "linear":
            hints.update(zero_at=_text(mapping["zero_at"]), full_at=_text(mapping["full_at"]))
        elif mapping.get("type") == "ranges":
            hints["ranges"] = ranges_to_text(mapping["ranges"])
        return hints


@dataclass
class ComponentRow:
    key: str = ""
    label: str = ""
    weight: str = ""
    measures: list[MeasureRow] = field(default_factory=list)
    management_form: Any = field(default=None, repr=False, compare=False)


@dataclass
class BandRow:
    key: str = ""
    label: str = ""
    min_score: str = ""
    colour: str = ""


# --- The scorecard editor's formsets (one form per row; numbers are parsed into the JSON below) ------


class MeasureForm(forms.Form):
    key = forms.CharField(required=False)
    label = forms.CharField(required=False)
    source = forms.CharField(required=False)
    window_days = forms.CharField(required=False)
    weight = forms.CharField(required=False)
    mapping_type = forms.CharField(required=False)
    zero_at = forms.CharField(required=False)
    full_at = forms.CharField(required=False)
    ranges = forms.CharField(required=False)


class ComponentForm(forms.Form):
    key = forms.CharField(required=False)
    label = forms.CharField(required=False)
    weight = forms.CharField(required=False)
    delete = forms.BooleanField(required=False)


class BandForm(forms.Form):
    key = forms.CharField(required=False)
    label = forms.CharField(required=False)
    min_score = forms.CharField(required=False)
    colour = forms.CharField(required=False)


MeasureFormSet = forms.formset_factory(MeasureForm, extra=0)
ComponentFormSet = forms.formset_factory(ComponentForm, extra=0)
BandFormSet = forms.formset_factory(BandForm, extra=0)
MANAGEMENT_MISSING = "The form was incomplete (reload the page and try again)."


def _rows_of(formset: forms.BaseFormSet, errors: list[str]) -> list[dict]:
    """Each row's cleaned values (blank rows: empty); a broken formset adds one error and gives no rows."""
    if not formset.is_valid():
        errors.append(MANAGEMENT_MISSING)
        return []
    return [form.cleaned_data for form in formset.forms]


def _row(values: dict, row_class, exclude: frozenset | set = frozenset()) -> dict:
    return {name: values.get(name) or "" for name in row_class.__annotations__ if name not in exclude}


def _management(formset_class, prefix: str, count: int) -> forms.Form:
    return formset_class(prefix=prefix, initial=[{}] * count).management_form


class ScorecardDraft:
    """Not a Django form: the scorecard page's rows (components, measures, bands), from a stored scorecard
    or from a POST, and back to the scorecard JSON that ``health.scorecard.validate_scorecard`` checks."""

    def __init__(self, components: list[ComponentRow], bands: list[BandRow]):
        self.components = components
        self.bands = bands
        self.errors: list[str] = []
        self.colours = BAND_COLOURS

    @classmethod
    def from_scorecard(cls, card: dict) -> ScorecardDraft:
        components = []
        for comp in card["components"]:
            rows = []
            for item in comp["measures"]:
                mapping = item.get("mapping") or {}
                rows.append(MeasureRow(
                    key=item["key"], label=item["label"], source=item["source"],
                    window_days=_text(item.get("window_days")), weight=_text(item.get("weight")),
                    mapping_type=mapping.get("type", ""), zero_at=_text(mapping.get("zero_at")),
                    full_at=_text(mapping.get("full_at")),
                    ranges=ranges_to_text(mapping["ranges"]) if mapping.get("type") == "ranges" else "",
                ))
            components.append(ComponentRow(key=comp["key"], label=comp["label"], weight=_text(comp["weight"]),
                                           measures=rows))
        bands = [BandRow(key=b["key"], label=b["label"], min_score=_text(b["min_score"]), colour=b.get("colour") or "")
                 for b in card["bands"]]
        return cls(components, bands).with_blank_rows()

    @classmethod
    def from_post(cls, post) -> ScorecardDraft:
        """The rows posted, read through formsets: components (prefix ``c``), each with its measures
        (``c-<i>-m``), and bands (``b``). A post without the formsets' management data is an error."""
        components, errors = [], []
        component_formset = ComponentFormSet(post, prefix="c")
        for i, form in enumerate(_rows_of(component_formset, errors)):
            measures = [MeasureRow(**_row(m, MeasureRow)) for m in _rows_of(MeasureFormSet(post, prefix=f"c-{i}-m"), errors)]
            if not form.get("delete"):
                components.append(ComponentRow(**_row(form, ComponentRow, exclude={"measures", "management_form"}), measures=measures))
        bands = [BandRow(**_row(b, BandRow)) for b in _rows_of(BandFormSet(post, prefix="b"), errors)][:MAX_BANDS]
        draft = cls(components, bands)
        draft.errors.extend(dict.fromkeys(errors))
        return draft

    def management_forms(self) -> dict:
        """The formsets' management data for the rows shown: components and bands here, each component's
        measures on the component (``comp.management_form``)."""
        for i, comp in enumerate(self.components):
            comp.management_form = _management(MeasureFormSet, f"c-{i}-m", len(comp.measures))
        return {"components": _management(ComponentFormSet, "c", len(self.components)),
                "bands": _management(BandFormSet, "b", len(self.bands))}

    def with_blank_rows(self) -> ScorecardDraft:
        for comp in self.components:
            comp.measures = [m for m in comp.measures if m.source] + [MeasureRow() for _ in range(EXTRA_MEASURE_ROWS)]
        if not self.components or self.components[-1].key:
            self.components.append(ComponentRow(measures=[MeasureRow() for _ in range(3)]))
        self.bands = [b for b in self.bands if b.key] + [BandRow() for _ in range(MAX_BANDS - len([b for b in self.bands if b.key]))]
        return self

    def to_scorecard(self) -> dict:
        """The posted scorecard as API JSON; unparseable numbers are collected in ``self.errors``."""
        components = []
        for ci, comp in enumerate(self.components, 1):
            used = [m for m in comp.measures if m.source]
            if not (comp.key or comp.label or used):
                continue
            where = f"Component {ci} ({comp.label or comp.key or 'new'})"
            key = comp.key or re.sub(r"[^a-z0-9]+", "_", comp.label.lower()).strip("_")
            measures, seen = [], set()
            for mi, row in enumerate(used, 1):
                what = f"{where}, measure {mi}"
                measure_key = row.key or row.source
                while measure_key in seen:
                    measure_key += "_2"
                seen.add(measure_key)
                item: dict[str, Any] = {"key": measure_key, "label": row.label or "", "source": row.source}
                window = _number(row.window_days, f"{what}: window", self.errors)
                if window is not None:
                    item["window_days"] = window
                weight = _number(row.weight, f"{what}: weight", self.errors)
                if weight is not None:
                    item["weight"] = weight
                if row.mapping_type == "linear":
                    item["mapping"] = {"type": "linear",
                                       "zero_at": _number(row.zero_at, f"{what}: value scoring 0", self.errors),
                                       "full_at": _number(row.full_at, f"{what}: value scoring 100", self.errors)}
                elif row.mapping_type == "ranges":
                    item["mapping"] = {"type": "ranges", "ranges": _ranges(row.ranges, what, self.errors)}
                measures.append(item)
            components.append({"key": key, "label": comp.label or key, "weight": _number(comp.weight, f"{where}: weight", self.errors),
                               "measures": measures})
        bands = []
        for bi, band in enumerate(self.bands, 1):
            if not (band.key or band.label or band.min_score):
                continue
            bands.append({"key": band.key or re.sub(r"[^a-z0-9]+", "_", band.label.lower()).strip("_"),
                          "label": band.label, "colour": band.colour or None,
                          "min_score": _number(band.min_score, f"Band {bi}: minimum score", self.errors)})
        return {"components": components, "bands": bands}

    def validated(self) -> dict | None:
        """The posted scorecard checked exactly as saving checks it (``validate_scorecard``), or None with the
        errors added (what a dry run replays)."""
        payload = self.to_scorecard()
        if self.errors:
            return None
        try:
            return validate_scorecard(payload)
        except ScorecardInvalid as exc:
            self.add_validation_errors(exc.errors, payload)
            return None

    def add_validation_errors(self, errors: dict[str, list[str]], posted: dict) -> None:
        """Turn API-style error paths into sentences naming the component, measure or band."""
        for path, messages in errors.items():
            where = self._describe(path, posted)
            self.errors.extend(f"{where}{message}" for message in messages)

    @staticmethod
    def _describe(path: str, posted: dict) -> str:
        match = PATH_RE.fullmatch(path)
        if not match:
            return "" if path in {"components", "bands", "non_field_errors"} else f"{path}: "
        comp_i, measure_i, _, band_i = match.groups()
        if band_i is not None:
            return f"Band {int(band_i) + 1}: "
        comp = posted["components"][int(comp_i)] if int(comp_i) < len(posted["components"]) else {}
        where = f"Component {comp.get('label') or int(comp_i) + 1}"
        if measure_i is not None:
            where += f", measure {int(measure_i) + 1}"
        return where + ": "


class RiskSettingsForm(forms.Form):
    """The risk settings section: per rule ``rule-<key>-enabled`` and ``rule-<key>-<param>`` (thresholds),
    the competitor list and the snapshot retention days. ``cleaned_data`` holds ``rules``,
    ``competitor_names`` and ``retention_days`` (None when the post has no retention fields) for
    ``health.services.risk_settings_save``, which validates the values."""

    competitors = forms.CharField(required=False, widget=forms.Textarea)

    def __init__(self, data=None, *, rules: list, settings: dict[str, dict], competitors: list[str],
                 retention_days: dict[str, Any] | None = None):
        initial: dict[str, Any] = {"competitors": "\n".join(competitors)}
        for rule in rules:
            initial[f"rule-{rule.key}-enabled"] = settings[rule.key]["enabled"]
            initial.update({f"rule-{rule.key}-{name}": settings[rule.key][name] for name in rule.params})
        initial.update(retention_days or {})
        super().__init__(data, initial=initial)
        self.rules = rules
        for rule in rules:
            self.fields[f"rule-{rule.key}-enabled"] = forms.BooleanField(required=False)
            for name in rule.params:
                self.fields[f"rule-{rule.key}-{name}"] = forms.CharField(required=False)
        for name in FIELD_LABELS:
            self.fields[name] = forms.CharField(required=False)

    def clean(self) -> dict:
        data = super().clean()
        problems: list[str] = []
        rules: dict[str, dict] = {}
        for rule in self.rules:
            values: dict[str, Any] = {"enabled": bool(data.get(f"rule-{rule.key}-enabled"))}
            for name in rule.params:
                what = f"{rule.label}: {rule.param_labels.get(name, name)}"
                number = _number(data.get(f"rule-{rule.key}-{name}", ""), what, problems)
                if number is not None:
                    values[name] = number
            rules[rule.key] = values
        data["rules"] = rules
        data["competitor_names"] = [c.strip() for c in re.split(r"[\n,]", data.get("competitors", "")) if c.strip()]
        data["retention_days"] = self._retention_days(data, problems)
        for problem in problems:
            self.add_error(None, problem)
        return data

    def _retention_days(self, data: dict, problems: list[str]) -> dict | None:
        """The retention days posted (None when the form has no such fields); unparseable ones are errors."""
        days: dict[str, Any] = {}
        for name, label in FIELD_LABELS.items():
            if name not in self.data:
                continue
            raw = data.get(name, "")
            number = _number(raw, label, problems)
            if number is not None:
                days[name] = number
            elif not raw.strip():
                problems.append(f"{label}: give a number of days.")
        return days or None

    @property
    def competitors_text(self) -> str:
        return self["competitors"].value() or ""

    def retention_rows(self) -> list[dict]:
        return [{"name": name, "label": label, "value": self[name].value()} for name, label in FIELD_LABELS.items()]

    def rows(self) -> list[dict]:
        return [
            {"rule": rule, "enabled": self[f"rule-{rule.key}-enabled"].value(),
             "params": [{"name": name, "label": rule.param_labels.get(name, name),
                         "value": self[f"rule-{rule.key}-{name}"].value()} for name in rule.params]}
            for rule in self.rules
        ]
