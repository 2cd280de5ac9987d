"""Numbers derived from model cards for the comparison table and the charts."""

from __future__ import annotations

from survey.loader import Catalog
from survey.schema.common import Measure


# The models the survey introduces one by one (its section 重要羊驼大模型简介, in its order), and BELLE,
# which the home page's prose names too: the home page leads into them and the charts label them first.
# Ids missing from a catalog are skipped.
KEY_MODELS = (
    "llama",
    "chatglm-6b",
    "alpaca",
    "alpaca-lora",
    "vicuna",
    "gpt4all",
    "chatyuan",
    "dolly",
    "chinese-llama",
    "belle",
    "koala",
    "baize",
    "moss-moon-003-sft",
)


_SUFFIXES = ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K"))


def human(value: float) -> str:
    """A count as people write it: 7B, 52K, 1.4T, 111.5K; numbers the shorthand cannot write in four
    significant digits are rounded to three (6,053,381,344 -> 6.05B)."""
    if value < 1000:
        return f"{value:g}"
    for limit, suffix in _SUFFIXES:
        if value >= limit:
            scaled = value / limit
            exact = f"{scaled:.4g}"
            text = exact if float(exact) * limit == value else f"{scaled:.3g}"
            if "e" in text:  # 1000T and beyond: keep every digit
                text = f"{scaled:.0f}"
            return text + suffix
    return f"{value:g}"  # pragma: no cover - every value >= 1000 meets a suffix


def is_rounded(value: float) -> bool:
    """Whether `human` had to round the value."""
    text = human(value)
    multiplier = dict((s, l) for l, s in _SUFFIXES).get(text[-1:], 1)
    number = text[:-1] if text[-1:] in "TBMK" else text
    return abs(float(number) * multiplier - value) > 1e-9 * max(value, 1)


def params(model) -> list[float]:
    """Known parameter counts of each size (midpoints of ranges)."""
    return [p for size in model.sizes if (p := size.parameters.midpoint()) is not None]


def max_params(model) -> float | None:
    values = params(model)
    return max(values) if values else None


def _tokens(data: list[Measure] | None) -> float | None:
    values = [d.midpoint() for d in data or () if d.unit == "tokens" and d.midpoint() is not None]
    return sum(values) if values else None


def training_tokens(model) -> float | None:
    """Training tokens of the model as a whole (all token-counted stages added up)."""
    return _tokens(model.training.data)


def size_points(model) -> list[tuple[float, float]]:
    """(parameters, tokens) for each size whose tokens are known (per-size data overrides the model's)."""
    points = []
    for size in model.sizes:
        p = size.parameters.midpoint()
        tokens = _tokens(size.training.data) if size.training and size.training.data else None
        tokens = tokens if tokens is not None else training_tokens(model)
        if p is not None and tokens is not None:
            points.append((p, tokens))
    return points


def year(model) -> str:
    return model.released.date[:4]


def date_value(date: str) -> float:
    """`2023-03-13` -> 2023.19…: a point on a time axis (month or year alone sit at their start)."""
    parts = [int(p) for p in date.split("-")]
    year_, month, day = parts[0], (parts[1] if len(parts) > 1 else 1), (parts[2] if len(parts) > 2 else 1)
    return year_ + (month - 1) / 12 + (day - 1) / 365


def families(catalog: Catalog) -> dict[str, list[str]]:
    """Model id -> ids of the root models its lineage goes back to (itself when it has no base)."""
    memo: dict[str, list[str]] = {}

    def roots(model_id: str, trail: frozenset[str]) -> list[str]:
        if model_id in memo:
            return memo[model_id]
        model = catalog.get("model", model_id)
        bases = [link.model for link in model.lineage] if model else []
        bases = [b for b in bases if b not in trail]
        if not bases:
            found = [model_id]
        else:
            found = sorted({r for b in bases for r in roots(b, trail | {model_id})})
        memo[model_id] = found
        return found

    return {m.id: roots(m.id, frozenset()) for m in sorted(catalog.of("model"), key=lambda m: m.id)}


def size_bucket(value: float | None) -> str:
    if value is None:
        return "unknown"
    for limit, label in ((1e9, "lt1b"), (10e9, "1b-10b"), (100e9, "10b-100b")):
        if value < limit:
            return label
    return "ge100b"


SIZE_BUCKETS = (
    ("lt1b", "< 1B"),
    ("1b-10b", "1B – 10B"),
    ("10b-100b", "10B – 100B"),
    ("ge100b", "≥ 100B"),
    ("unknown", "?"),
)
