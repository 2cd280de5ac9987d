"""Recipes: how to retrain one baseline, recorded exactly enough for `python -m reproduce` to run it.

A recipe pins the base model and the data (Hub ids at revisions, or URLs with
sha256), keeps the prompt template byte-exact, says which tokens are
supervised, and keeps every hyperparameter and the DeepSpeed (or LoRA) config
as the original recorded them. `deviations` lists every place where the
reproduction cannot or does not follow the original, and why.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from survey.schema.common import (
    Card,
    DataSize,
    Duration,
    Hardware,
    HubId,
    Localized,
    Parameters,
    Ref,
    SourceRef,
    Strict,
    Url,
    expected,
)

Architecture = Literal["llama", "bloom", "baichuan", "qwen2", "gpt_neox"]
TemplateName = Literal["alpaca", "alpaca-lora", "vicuna_v1.1", "oasst", "firefly", "qwen"]
DataFormat = Literal["alpaca", "sharegpt", "fastchat", "firefly", "belle-multiturn", "oasst-export", "dolly", "self-intro",
                     "oa-translation", "oa-dolly", "oa-joke", "oa-gsm8k", "oa-webgpt"]
Supervised = Literal["response", "everything", "assistant-turns"]
PadPolicy = Literal["add-pad-mean-init", "unk", "eos", "existing", "unk-id-0"]
Strategy = Literal["deepspeed", "fsdp", "ddp", "single", "model-parallel"]
Precision = Literal["bf16", "fp16", "fp32", "int8-fp16"]
# How the loss of one optimizer step is averaged: "micro-batch" is the 2023 Trainer's (each micro batch's mean over
# its supervised tokens, then the mean over micro batches and devices); "token" is transformers 5's (every supervised
# token of the step weighs the same, across gradient accumulation and devices).
LossAveraging = Literal["micro-batch", "token"]
# What is cut from an example longer than max_length: "head" keeps its first max_length tokens; "random-offset" (Open-
# Assistant's DialogueDataCollator) takes a window at a random offset with probability random_offset_probability,
# else the head; "infer-seqlen" (LLaMA-Factory) shares the budget between each turn's prompt and response.
Truncation = Literal["head", "random-offset", "infer-seqlen"]

# Bounds that keep every number a recipe accepts one that trains and renders; each far above real use.
MAX_SEED = 2**32 - 1  # numpy's seed range, which transformers.set_seed passes the seed to
MAX_STEPS = 1_000_000_000
MAX_BATCH = 1_000_000
MAX_EXAMPLES = 10**13
MAX_LEARNING_RATE = 10.0  # fine-tuning rates are 1e-6..1e-3; above 10 every optimizer diverges
COMMIT = re.compile(r"^[0-9a-f]{40}$")


class Shape(Strict):
    """The transformer's shape, for memory and FLOP estimates and for the tiny random model of `--smoke`."""

    # Upper bounds ~100x the largest published models (126 layers, hidden 16384, vocabularies of 256K).
    layers: int = Field(ge=1, le=10_000)
    hidden: int = Field(ge=1, le=1_000_000)
    heads: int = Field(ge=1, le=100_000)
    intermediate: int = Field(ge=1, le=10_000_000)
    vocab: int = Field(ge=1, le=10_000_000)
    kv_heads: int | None = Field(default=None, ge=1, le=100_000)


class Base(Strict):
    """The model the recipe starts from."""

    hub: HubId
    revision: str = Field(min_length=1, description="A commit on the Hub; 'main' means not yet pinned (listed in deviations).")
    trust_remote_code: bool = False
    architecture: Architecture
    parameters: Parameters
    shape: Shape
    source: SourceRef | None = None
    note: Localized | None = None

    @model_validator(mode="after")
    def _remote_code_pinned(self) -> Base:
        # trust_remote_code runs Python from the Hub repo; only a commit fixes which code that is.
        if self.trust_remote_code and not COMMIT.match(self.revision):
            raise expected(
                "a 40-hex commit as `revision` when `trust_remote_code` is true (the model's own code runs, "
                f"as it is at that revision), found {self.revision!r}",
                at=("revision",),
            )
        return self


class Sampling(Strict):
    """How examples are drawn from a source (e.g. 500 from each of firefly's 24 categories)."""

    per_category: int | None = Field(default=None, ge=1, le=MAX_EXAMPLES)
    category_field: str | None = None
    categories: int | None = Field(default=None, ge=1, le=1_000_000)
    max_examples: int | None = Field(default=None, ge=1, le=MAX_EXAMPLES)
    val_split: float | None = Field(default=None, ge=0, lt=1)
    val_examples: int | None = Field(default=None, ge=0, le=MAX_EXAMPLES)
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED)
    note: Localized | None = None


class DataSource(Strict):
    """One part of the training data: a Hub data set at a revision, or a URL with its sha256."""

    name: str = Field(min_length=1)
    hub: HubId | None = None
    revision: str | None = None
    url: Url | None = None
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    file: str | None = Field(default=None, description="The file inside the Hub repo, when it holds several.")
    config: str | None = Field(default=None, description="The data set's configuration as `load_dataset` names it "
                               "(e.g. en_ja_2016 for a TED talks pair and year), where its files hold several.")
    languages: list[str] | None = Field(default=None, description="Language codes kept (the oasst export's `lang`).")
    split: str = "train"
    format: DataFormat
    construction: str | None = Field(default=None, description="A `reproduce data` construction applied first (neo-*).")
    sampling: Sampling | None = None
    amount: DataSize | None = None
    included: bool = Field(default=True, description="False for parts that cannot be used (internal data).")
    source: SourceRef | None = None
    note: Localized | None = None

    @model_validator(mode="after")
    def _located(self) -> DataSource:
        if self.included and self.hub is None and self.url is None:
            raise expected("`hub` (with `revision`) or `url` (with `sha256`) for data that is used")
        return self


class Template(Strict):
    """The prompt format, byte-exact; `reproduce.templates` implements each name and tests check it against `text`."""

    # byte-exact: a template's trailing newline or a separator of one space is part of the value
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)

    name: TemplateName
    system: str | None = Field(default=None, description="Fixed text put before every prompt (a system prompt or prefix).")
    text: dict[str, str] = Field(default={}, description="The original's strings, verbatim (e.g. PROMPT_DICT).")
    source: SourceRef | None = None


class Masking(Strict):
    """Which tokens carry loss."""

    supervised: Supervised
    note: Localized
    source: SourceRef | None = None


class TokenizerPolicy(Strict):
    pad: PadPolicy
    add_special_tokens: list[str] = []
    padding_side: Literal["left", "right"] = "right"
    use_fast: bool | None = None
    add_eos: bool = True
    pad_to_multiple_of: int | None = Field(default=None, ge=1, le=1_000_000, description="Batches padded to a multiple of this length.")
    vocab_multiple_of: int | None = Field(default=None, ge=1, le=1_000_000, description="Embeddings resized to a multiple of this "
                                          "many rows after the tokens are added (Open-Assistant's 16).")
    note: Localized | None = None
    source: SourceRef | None = None


class Hyperparameters(Strict):
    learning_rate: float = Field(gt=0, le=MAX_LEARNING_RATE)
    epochs: float = Field(gt=0, le=10_000)
    max_steps: int | None = Field(default=None, ge=1, le=MAX_STEPS, description="Optimizer steps to stop at, when the original stopped early.")
    per_device_batch_size: int = Field(ge=1, le=MAX_BATCH)
    gradient_accumulation_steps: int = Field(ge=1, le=MAX_BATCH)
    devices: int | None = Field(default=None, ge=1, le=1_000_000, description="Data-parallel devices of the recorded run, when recorded.")
    global_batch_size: int | None = Field(default=None, ge=1, le=MAX_BATCH * 1000)
    max_length: int = Field(ge=1, le=100_000_000)  # tokens; the longest contexts are about 1e7
    weight_decay: float = Field(default=0.0, ge=0, le=10)
    warmup_ratio: float | None = Field(default=None, ge=0, le=1)
    warmup_steps: int | None = Field(default=None, ge=0, le=MAX_STEPS)
    scheduler: str
    optimizer: str
    adam_beta1: float = Field(default=0.9, ge=0, lt=1)
    adam_beta2: float = Field(default=0.999, ge=0, lt=1)
    adam_epsilon: float = Field(default=1e-8, gt=0, le=1)
    max_grad_norm: float | None = Field(default=1.0, ge=0, le=1e6)
    precision: Precision
    tf32: bool | None = None
    gradient_checkpointing: bool = False
    seed: int = Field(default=42, ge=0, le=MAX_SEED)
    save_steps: int | None = Field(default=None, ge=1, le=MAX_STEPS)
    save_total_limit: int | None = Field(default=None, ge=1, le=MAX_STEPS)
    logging_steps: int | None = Field(default=None, ge=1, le=MAX_STEPS)
    eval_steps: int | None = Field(default=None, ge=1, le=MAX_STEPS,
                                   description="Evaluate on the held-out split every this many steps.")
    per_device_eval_batch_size: int | None = Field(default=None, ge=1, le=MAX_BATCH)
    load_best_model_at_end: bool = False
    loss_averaging: LossAveraging = "micro-batch"
    truncation: Truncation = "head"
    random_offset_probability: float | None = Field(default=None, ge=0, le=1)
    source: SourceRef | None = None

    @model_validator(mode="after")
    def _random_offset(self) -> Hyperparameters:
        if (self.truncation == "random-offset") != (self.random_offset_probability is not None):
            raise expected("random_offset_probability exactly when truncation is random-offset")
        return self

    @model_validator(mode="after")
    def _global_batch(self) -> Hyperparameters:
        if self.devices is None or self.global_batch_size is None:
            return self
        product = self.per_device_batch_size * self.gradient_accumulation_steps * self.devices
        if product != self.global_batch_size:
            raise expected(
                f"global_batch_size = per_device_batch_size x gradient_accumulation_steps x devices = {product},"
                f" found {self.global_batch_size}"
            )
        return self


class Distributed(Strict):
    strategy: Strategy
    fsdp: str | None = Field(default=None, description="The --fsdp option of the original, when FSDP.")
    source: SourceRef | None = None


class DeepSpeed(Strict):
    """A DeepSpeed config exactly as recorded ("auto" values kept)."""

    stage: int = Field(ge=0, le=3)
    file: str | None = Field(default=None, description="Its path in the original repository.")
    used_by_original: bool = Field(default=True, description="False when the original ran otherwise (an alternative it documents).")
    config: dict[str, Any]
    source: SourceRef | None = None

    @model_validator(mode="after")
    def _stage_matches(self) -> DeepSpeed:
        recorded = (self.config.get("zero_optimization") or {}).get("stage", 0)
        if recorded != self.stage:
            raise expected(f"`stage` equal to config.zero_optimization.stage ({recorded}), found {self.stage}")
        return self


class Lora(Strict):
    r: int = Field(ge=1, le=65_536)
    alpha: int = Field(ge=1, le=1_000_000)
    dropout: float = Field(ge=0, lt=1)
    target_modules: list[str] = Field(min_length=1)
    bias: Literal["none", "all", "lora_only"] = "none"
    load_in_8bit: bool = False
    source: SourceRef | None = None


class Deviation(Localized):
    """One difference from the original and why."""

    topic: str = Field(min_length=1)


class EvaluationPrompts(Strict):
    """The prompts the original's authors generated answers for when they judged their model, pinned like data."""

    name: str = Field(min_length=1, description="What the set is called, e.g. self-instruct user-oriented instructions.")
    url: Url = Field(description="The file at a pinned commit (a raw URL with a 40-hex commit).")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the file, checked after download.")
    format: Literal["self-instruct", "fastchat-questions"] = Field(
        description="self-instruct: {id, instruction, instances: [{input}]}; fastchat-questions: {question_id, text}.")
    count: int = Field(ge=1, le=1_000_000, description="Prompts in the file.")
    source: SourceRef | None = None


class Recipe(Card):
    KIND = "recipe"
    FOLDER = "recipes"

    model: Ref("model") | None = Field(default=None, description="The catalog model this recipe reproduces.")
    experiment: Ref("experiment") | None = Field(default=None, description="The experiment card it reproduces.")
    base: Base
    data: list[DataSource] = Field(min_length=1)
    template: Template
    masking: Masking
    tokenizer: TokenizerPolicy
    hyperparameters: Hyperparameters
    distributed: Distributed
    deepspeed: DeepSpeed | None = None
    lora: Lora | None = None
    hardware: Hardware
    time: Duration
    launch: str | None = Field(default=None, description="The original launch command, verbatim.")
    deviations: list[Deviation] = []
    evaluation_prompts: EvaluationPrompts | None = Field(
        default=None, description="The original's own evaluation prompts; `reproduce eval` answers them (else a shipped set).")
