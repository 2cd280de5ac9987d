"""Building blocks shared by every card kind: ids, localized text, sources,
sourced values and measured quantities.

Every class forbids unknown keys. Shorthand that people type (a bare "7B", a
bare date, "8 x A100-80GB", "unknown") is accepted by before-validators and
stored in one explicit form; `to_card` in `survey.convert` writes it back.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializationInfo,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from survey import markup
from survey.shorthand import ShorthandError, canonical, parse_count, parse_number


class Strict(BaseModel):
    """Base of every schema class: unknown keys are errors, values are not coerced silently.

    Strict mode: `"8"` is not an integer, `8.0` not a count, `yes` not true; no float field takes
    NaN or infinity (a card may reach the schema without YAML, through `reproduce --set`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, strict=True, allow_inf_nan=False)


class Shorthand(Strict):
    """A record that may also be written as one scalar; the JSON Schema admits both forms."""

    SHORTHAND_TYPES: ClassVar[tuple[str, ...]] = ("string",)

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict:
        full = handler(core_schema)
        return {"anyOf": [full, {"type": list(cls.SHORTHAND_TYPES)}]}


def expected(what: str, at: tuple[str, ...] = ()) -> PydanticCustomError:
    """An error whose text reads "expected ..."; the loader appends what was found.

    `at` names the field inside the record that is wrong, for checks that look at several fields at
    once, so the message points at that field's line rather than the record's.
    """
    return PydanticCustomError("expected", "expected {what}", {"what": what, "at": at})


# --- ids and references ---------------------------------------------------------------

_ID = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
MAX_ID = 100  # an id is also a file name, and file systems stop at 255 bytes


def is_id(text: str) -> bool:
    return len(text) <= MAX_ID and bool(_ID.match(text))


def _check_id(value: Any) -> str:
    if not isinstance(value, str) or not is_id(value):
        raise expected(f"an id of at most {MAX_ID} lowercase letters, digits and single '-', '_' or '.' between them")
    return value


Id = Annotated[str, BeforeValidator(_check_id, json_schema_input_type=str)]

# A card's page is <kind folder>/<id>.md on the site, where <kind folder>/index.md lists the kind.
RESERVED_CARD_IDS = ("index",)
RESERVED_WHY = "an id other than 'index' (the site's page listing every card of the kind)"


def _check_card_id(value: str) -> str:
    if value in RESERVED_CARD_IDS:
        raise expected(RESERVED_WHY)
    return value


CardId = Annotated[Id, AfterValidator(_check_card_id)]


class RefTo:
    """Marks a field as holding the id of a card of another kind; `survey.rules.references` checks it."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __repr__(self) -> str:
        return f"RefTo({self.kind!r})"


def Ref(kind: str) -> Any:  # noqa: N802 - reads as a type in annotations
    return Annotated[str, BeforeValidator(_check_id, json_schema_input_type=str), RefTo(kind)]


class SourceKey:
    """Marks a field naming one of the card's own `sources`."""


SourceRef = Annotated[str, BeforeValidator(_check_id, json_schema_input_type=str), SourceKey()]


# --- text -----------------------------------------------------------------------------

def _check_text(value: Any) -> str:
    if not isinstance(value, str):
        raise expected("text")
    text = value.strip()
    if not text:
        raise expected("non-empty text")
    if problem := markup.prose_problem(text):
        raise expected(problem.removeprefix("expected "))
    return text


Text = Annotated[str, BeforeValidator(_check_text, json_schema_input_type=str)]


class Localized(Strict):
    """Text people read, in Chinese (always) and English."""

    zh: Text
    en: Text | None = None


class Summary(Localized):
    """Localized text where English is required too (names, summaries)."""

    en: Text


def _name_shorthand(value: Any) -> Any:
    return {"zh": value, "en": value} if isinstance(value, str) else value


class Name(Summary, Shorthand):
    """A name; a plain string means the same name in both languages."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return _name_shorthand(value)

    @model_serializer(mode="wrap")
    def _compact(self, handler: Any, info: SerializationInfo) -> Any:
        if info.context == "card" and self.zh == self.en:
            return self.zh
        return handler(self)


class Note(Localized):
    """One remark about the subject, with the source it rests on."""

    source: SourceRef | None = None


# --- urls and sources -----------------------------------------------------------------

def _check_url(value: Any) -> str:
    if not isinstance(value, str) or not markup.URL.match(value.strip()):
        raise expected("an http:// or https:// address")
    return value.strip()


Url = Annotated[str, BeforeValidator(_check_url, json_schema_input_type=str)]

SourceKind = Literal[
    "survey",
    "paper",
    "repository",
    "model-card",
    "dataset-card",
    "blog",
    "website",
    "documentation",
    "report",
    "leaderboard",
    "issue",
    "unpublished",
]


class Source(Strict):
    """Where facts come from. `survey` is the survey itself; every other kind is primary."""

    kind: SourceKind
    title: str = Field(min_length=1)
    url: Url | None = None
    document: str | None = Field(
        default=None, description="For unpublished notes only: which document (no URL exists)."
    )

    @model_validator(mode="after")
    def _url_or_document(self) -> Source:
        if self.kind == "unpublished":
            if not self.document:
                raise expected("`document` naming the unpublished note")
        elif self.url is None:
            raise expected("`url`: every published source needs an http(s) address")
        return self

    @property
    def primary(self) -> bool:
        return self.kind not in ("survey", "unpublished")


Sources = Annotated[dict[Id, Source], Field(min_length=1)]


# --- dates ----------------------------------------------------------------------------

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def _check_date(value: Any) -> str:
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, int) and 1900 <= value <= 2100:
        return str(value)
    if not isinstance(value, str) or not (match := _PARTIAL_DATE.match(value.strip())):
        raise expected("a date written YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(part) if part else None for part in match.groups())
    try:
        _dt.date(year, month or 1, day or 1)
    except ValueError:
        raise expected("a real calendar date") from None
    return value.strip()


PartialDate = Annotated[
    str,
    BeforeValidator(_check_date, json_schema_input_type=str),
    PlainSerializer(lambda v: v, return_type=str),
]


def date_key(value: str) -> tuple[int, ...]:
    """`2023-03` -> (2023, 3): comparable at the precision both dates share."""
    return tuple(int(part) for part in value.split("-"))


class Dated(Shorthand):
    date: PartialDate
    source: SourceRef | None = None
    note: Localized | None = None
    as_surveyed: str | None = Field(default=None, description="The survey's own date, when the value differs.")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {"date": value}

    @model_serializer(mode="wrap")
    def _compact(self, handler: Any, info: SerializationInfo) -> Any:
        data = handler(self)
        if info.context == "card" and set(data) == {"date"}:
            return data["date"]
        return data


# --- yes / no / partial ---------------------------------------------------------------

Status = Literal["yes", "no", "partial", "unknown"]


class Openness(Shorthand):
    """Whether something is public; the note says what is and is not (e.g. "fine-tuning code only")."""

    SHORTHAND_TYPES = ("string", "boolean")
    status: Status
    note: Localized | None = None
    source: SourceRef | None = None
    as_surveyed: str | None = Field(default=None, description="The survey's own cell, when the value differs.")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return {"status": "yes" if value else "no"}
        return value if isinstance(value, dict) else {"status": value}

    @model_serializer(mode="wrap")
    def _compact(self, handler: Any, info: SerializationInfo) -> Any:
        data = handler(self)
        if info.context == "card" and set(data) == {"status"}:
            return data["status"]
        return data


# --- measured quantities --------------------------------------------------------------

Number = int | float


def _number(value: Any) -> Number:
    try:
        number = parse_number(value)
    except ShorthandError as exc:
        raise expected(str(exc).removeprefix("expected ")) from None
    if number < 0:
        raise expected("a number of at least 0 (no count, time, cost or size is negative)")
    return number


def _count(value: Any) -> int:
    try:
        return parse_count(value)
    except ShorthandError as exc:
        raise expected(str(exc).removeprefix("expected ")) from None


Count = Annotated[int, BeforeValidator(_count, json_schema_input_type=int | str)]
Amount = Annotated[Number, BeforeValidator(_number, json_schema_input_type=int | float | str)]

# A suffix letter (K, M, B…) is one on its own: the "m" of "0.5 minutes" begins the unit.
_SCALAR = re.compile(r"^\s*(~)?\s*([0-9][0-9_,.]*(?:\s*[kKmMbBgGtT](?![A-Za-z]))?)\s*([^\d\s].*)?$")


class Measure(Shorthand):
    """A number with a unit: exact, approximate (`approx`), a range (`min`..`max`) or `unknown`.

    Subclasses fix the allowed units. A scalar is shorthand: "52K examples",
    "~3 hours", "7B", "unknown".
    """

    SHORTHAND_TYPES = ("string", "number")
    UNITS: ClassVar[tuple[str, ...]] = ()
    # The largest value of each unit a card may give: far above any real figure (each class says
    # why), low enough that a slip of the keyboard is caught and every value renders.
    LIMITS: ClassVar[dict[str, float]] = {}
    WHOLE: ClassVar[frozenset[str]] = frozenset()  # units counted in whole numbers, 1 and up
    POSITIVE: ClassVar[bool] = True  # zero is no size, time or amount of compute (and has no logarithm)
    UNIT_ALIASES: ClassVar[dict[str, str]] = {}
    DEFAULT_UNIT: ClassVar[str | None] = None
    BILLION: ClassVar[str] = "B"

    value: Amount | None = None
    min: Amount | None = None
    max: Amount | None = None
    unknown: bool = False
    approx: bool = False
    unit: str | None = None
    source: SourceRef | None = None
    note: Localized | None = None
    as_surveyed: str | None = Field(default=None, description="The survey's own cell, when the value differs.")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            data = dict(value)
        elif isinstance(value, str) and value.strip().lower() in ("unknown", "未知"):
            data = {"unknown": True}
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            data = {"value": value}
        elif isinstance(value, str) and (match := _SCALAR.match(value)):
            tilde, number, unit = match.groups()
            data = {"value": number.strip()}
            if tilde:
                data["approx"] = True
            if unit:
                data["unit"] = unit.strip()
        else:
            raise expected(f"a number{' with a unit' if cls.UNITS else ''} such as {cls._example()}, or unknown")
        if isinstance(data.get("unit"), str):
            unit = data["unit"].strip()
            data["unit"] = cls.UNIT_ALIASES.get(unit.lower(), cls.UNIT_ALIASES.get(unit, unit))
        if data.get("unit") is None and cls.DEFAULT_UNIT and not data.get("unknown"):
            data["unit"] = cls.DEFAULT_UNIT
        return data

    @classmethod
    def _example(cls) -> str:
        return "7B"

    @model_validator(mode="after")
    def _consistent(self) -> Measure:
        given = [self.value is not None, self.min is not None or self.max is not None, self.unknown]
        if sum(given) != 1:
            raise expected("exactly one of `value`, `min`/`max`, or `unknown: true`")
        if (self.min is None) != (self.max is None) and not self.unknown and self.value is None:
            raise expected("both `min` and `max` for a range")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise expected(f"`min` ({self.min}) not above `max` ({self.max})")
        if not self.unknown:
            if self.unit is None:
                raise expected(f"a `unit`, one of {', '.join(self.UNITS)}")
            if self.unit not in self.UNITS:
                raise PydanticCustomError(
                    "expected",
                    "unit: expected one of {units}, found '{found}'",
                    {"units": ", ".join(self.UNITS), "found": self.unit},
                )
        elif self.unit is not None and self.unit not in self.UNITS:
            raise expected(f"a `unit` among {', '.join(self.UNITS)}")
        for key in ("value", "min", "max"):
            self._in_range(key, getattr(self, key))
        return self

    def _in_range(self, key: str, number: Number | None) -> None:
        if number is None or self.unit is None:
            return
        high = self.LIMITS.get(self.unit, math.inf)
        if self.unit in self.WHOLE and number != int(number):
            raise expected(f"a whole number of {self.unit}, found {number}", at=(key,))
        if self.unit in self.WHOLE and number < 1:
            raise expected(f"at least 1 {self.unit}, found {_shown(number)}", at=(key,))
        if self.POSITIVE and number <= 0:
            raise expected(f"more than 0 {self.unit}, found {_shown(number)}", at=(key,))
        if number > high:
            raise expected(f"at most {_shown(high)} {self.unit}, found {_shown(number)}", at=(key,))

    @model_serializer(mode="wrap")
    def _compact(self, handler: Any, info: SerializationInfo) -> Any:
        data = handler(self)
        if info.context != "card":
            return data
        for key in ("value", "min", "max"):
            if isinstance(data.get(key), int):
                data[key] = canonical(data[key], billion=self.BILLION)
        if self.DEFAULT_UNIT is not None and data.get("unit") == self.DEFAULT_UNIT:
            data.pop("unit")
        if set(data) == {"unknown"}:
            return "unknown"
        if set(data) <= {"value", "unit", "approx"} and "value" in data:
            if "unit" not in data and not data.get("approx"):
                return data["value"]
            text = f"{'~' if data.get('approx') else ''}{data['value']}"
            return f"{text} {data['unit']}" if "unit" in data else text
        return data

    @property
    def known(self) -> bool:
        return not self.unknown

    def midpoint(self) -> float | None:
        if self.value is not None:
            return float(self.value)
        if self.min is not None and self.max is not None:
            return (float(self.min) + float(self.max)) / 2
        return None


def _shown(number: Number) -> str:
    """A bound or a value as a reader would write it: 100, 1e15, 999999… (300 digits)."""
    if isinstance(number, float) and number.is_integer() and number >= 1e4:
        return f"{number:.0e}".replace("e+", "e")
    text = str(number)
    return text if len(text) <= 24 else f"{text[:6]}… ({len(text)} digits)"


class Parameters(Measure):
    UNITS = ("parameters",)
    LIMITS = {"parameters": 1e15}  # the largest published models have about 2e12
    WHOLE = frozenset(UNITS)
    DEFAULT_UNIT = "parameters"
    UNIT_ALIASES = {"params": "parameters", "parameter": "parameters"}


class DataSize(Measure):
    UNITS = ("tokens", "examples", "conversations", "messages", "bytes", "words", "pairs", "hours-audio")
    # The largest training sets are a few 1e13 tokens (tens of TB of text); a century of audio is 876,000 hours.
    LIMITS = {"tokens": 1e16, "words": 1e16, "bytes": 1e17, "examples": 1e13, "conversations": 1e13,
              "messages": 1e13, "pairs": 1e13, "hours-audio": 1e6}
    WHOLE = frozenset(UNITS) - {"hours-audio"}
    UNIT_ALIASES = {
        "token": "tokens",
        "example": "examples",
        "samples": "examples",
        "instructions": "examples",
        "conversation": "conversations",
        "dialogues": "conversations",
        "message": "messages",
        "b": "bytes",
        "byte": "bytes",
        "pair": "pairs",
        "word": "words",
    }
    BILLION = "G"

    @classmethod
    def _example(cls) -> str:
        return "'52K examples' or '1.4T tokens'"


class Duration(Measure):
    UNITS = ("minutes", "hours", "days", "weeks", "months")
    LIMITS = {"minutes": 6e7, "hours": 1e6, "days": 4e4, "weeks": 6e3, "months": 1.2e3}  # about a century
    UNIT_ALIASES = {
        "min": "minutes",
        "mins": "minutes",
        "minute": "minutes",
        "h": "hours",
        "hr": "hours",
        "hrs": "hours",
        "hour": "hours",
        "d": "days",
        "day": "days",
        "week": "weeks",
        "month": "months",
    }
    HOURS: ClassVar[dict[str, float]] = {"minutes": 1 / 60, "hours": 1, "days": 24, "weeks": 168, "months": 730}

    @classmethod
    def _example(cls) -> str:
        return "'3 hours' or '21 days'"

    def hours(self) -> float | None:
        point = self.midpoint()
        return None if point is None or self.unit is None else point * self.HOURS[self.unit]


class Money(Measure):
    UNITS = ("USD", "CNY")
    LIMITS = {"USD": 1e12, "CNY": 1e13}  # a trillion dollars: beyond any training run's cost
    POSITIVE = False  # free is a price
    UNIT_ALIASES = {"$": "USD", "usd": "USD", "dollars": "USD", "cny": "CNY", "rmb": "CNY", "yuan": "CNY"}

    @classmethod
    def _example(cls) -> str:
        return "'600 USD'"


class Compute(Measure):
    UNITS = ("flops", "gpu-hours")
    LIMITS = {"flops": 1e30, "gpu-hours": 1e10}  # the largest runs reported are near 5e25 FLOPs
    UNIT_ALIASES = {"flop": "flops", "gpu-hour": "gpu-hours", "gpu hours": "gpu-hours"}

    @classmethod
    def _example(cls) -> str:
        return "'1022362 gpu-hours' or '6.3e23 flops'"


class Percent(Measure):
    UNITS = ("percent",)
    LIMITS = {"percent": 1e4}  # scores relative to another model pass 100 (LLM Zoo reports 135.3%)
    POSITIVE = False
    DEFAULT_UNIT = "percent"
    UNIT_ALIASES = {"%": "percent"}

    @classmethod
    def _example(cls) -> str:
        return "'85.2 %'"


# --- hardware -------------------------------------------------------------------------

_HARDWARE = re.compile(r"^\s*(\d+)\s*[x×*]\s*(\S+)\s*$", re.IGNORECASE)
_ACCELERATOR = re.compile(r"^[A-Za-z][A-Za-z0-9.]*(?:-[A-Za-z0-9.]+)*$")


def _check_accelerator(value: Any) -> str:
    if not isinstance(value, str) or not _ACCELERATOR.match(value):
        raise expected("an accelerator name such as A100-80GB, V100-32GB or RTX4090")
    return value


class Hardware(Shorthand):
    """Accelerators used for training: `count` x `type`, or unknown. Shorthand "8 x A100-80GB".

    A known type with no published count leaves `count` out.
    """

    type: Annotated[str, BeforeValidator(_check_accelerator, json_schema_input_type=str)] | None = None
    count: int | None = Field(default=None, ge=1, le=1_000_000)  # the largest clusters hold about 1e5 accelerators
    unknown: bool = False
    source: SourceRef | None = None
    note: Localized | None = None
    as_surveyed: str | None = Field(default=None, description="The survey's own cell, when the value differs.")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return value
        if isinstance(value, str) and value.strip().lower() in ("unknown", "未知"):
            return {"unknown": True}
        if isinstance(value, str) and (match := _HARDWARE.match(value)):
            return {"count": int(match.group(1)), "type": match.group(2)}
        raise expected("'COUNT x TYPE' such as '8 x A100-80GB', a mapping with type and count, or unknown")

    @model_validator(mode="after")
    def _complete(self) -> Hardware:
        if self.unknown and (self.type or self.count):
            raise expected("either `unknown: true` or `type` and `count`, not both")
        if not self.unknown and self.type is None:
            raise expected("a `type` (and `count` where published), or `unknown: true`")
        return self

    @model_serializer(mode="wrap")
    def _compact(self, handler: Any, info: SerializationInfo) -> Any:
        data = handler(self)
        if info.context == "card":
            if set(data) == {"unknown"}:
                return "unknown"
            if set(data) == {"type", "count"}:
                return f"{data['count']} x {data['type']}"
        return data


# --- misc -----------------------------------------------------------------------------

_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _check_repo(value: Any) -> str:
    if not isinstance(value, str) or not _REPO.match(value):
        raise expected("a Hugging Face Hub repo id such as 'huggyllama/llama-7b'")
    return value


HubId = Annotated[str, BeforeValidator(_check_repo, json_schema_input_type=str)]

_LANG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]+)?$|^code$|^multilingual$")


def _check_language(value: Any) -> str:
    if not isinstance(value, str) or not _LANG.match(value):
        raise expected("a language code such as zh, en or ja (or 'code', 'multilingual')")
    return value


Language = Annotated[str, BeforeValidator(_check_language, json_schema_input_type=str)]


class License(Shorthand):
    """A license by SPDX id where one exists (`Apache-2.0`), else by name; or unknown."""

    id: str = Field(min_length=1, description="SPDX id, a well-known name such as 'LLaMA research license', or 'unknown'.")
    note: Localized | None = None
    source: SourceRef | None = None
    url: Url | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {"id": value}

    @model_serializer(mode="wrap")
    def _compact(self, handler: Any, info: SerializationInfo) -> Any:
        data = handler(self)
        if info.context == "card" and set(data) == {"id"}:
            return data["id"]
        return data


class Links(Strict):
    repository: Url | None = None
    paper: Url | None = None
    blog: Url | None = None
    website: Url | None = None
    weights: Url | None = None
    data: Url | None = None
    demo: Url | None = None
    documentation: Url | None = None


def _single_as_list(value: Any) -> Any:
    return [value] if value is not None and not isinstance(value, list) else value


def one_or_many(item: Any) -> Any:
    """`list[item]` that also accepts a single item (written back as a list)."""
    return Annotated[
        list[item], BeforeValidator(_single_as_list, json_schema_input_type=item | list[item]), Field(min_length=1)
    ]


def unique(values: list[Any]) -> list[Any]:
    if len(set(values)) != len(values):
        duplicates = sorted({v for v in values if values.count(v) > 1})
        raise expected(f"each entry once, found {', '.join(map(str, duplicates))} more than once")
    return values


class Card(Strict):
    """Fields every card has. The kind comes from the folder, the id from the file name."""

    KIND: ClassVar[str] = ""
    FOLDER: ClassVar[str] = ""

    id: CardId
    name: Name
    summary: Summary
    aliases: Annotated[list[Annotated[str, Field(min_length=1)]], AfterValidator(unique)] = Field(
        default=[], description="Other names people use for it (Vicuna-13B, bloom-820m-zh…)."
    )
    notes: list[Note] = []
    sources: Sources
