"""A tiny tokenizer trained in-process on shipped text, and a tiny random model of a recipe's architecture."""

from __future__ import annotations

from collections.abc import Iterable

from survey.schema.recipe import Recipe

SPECIALS = ["<unk>", "<s>", "</s>", "<|prompter|>", "<|assistant|>", "<|im_start|>", "<|im_end|>", "<|endoftext|>"]


def tiny_tokenizer(texts: Iterable[str], architecture: str = "llama", vocab_size: int = 400):
    """Byte-level BPE; LLaMA-like tokenizers add <s>, Qwen's EOS is <|im_end|>, BLOOM adds nothing."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(list(texts), trainer=trainer)
    kwargs = {"unk_token": "<unk>", "bos_token": "<s>", "eos_token": "</s>"}
    if architecture in ("llama", "baichuan"):
        bos = tok.token_to_id("<s>")
        tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", bos)])
    if architecture == "qwen2":
        kwargs = {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}
    if architecture == "bloom":
        kwargs["pad_token"] = "<pad>" if tok.token_to_id("<pad>") is not None else None
        kwargs = {k: v for k, v in kwargs.items() if v}
    return PreTrainedTokenizerFast(tokenizer_object=tok, **kwargs)


def tiny_model(recipe: Recipe, vocab_size: int, seed: int = 0, dtype: str = "float32"):
    """A randomly initialised model of the recipe's architecture at a tiny width, its embeddings tied or not as the
    architecture's are (Baichuan-7B is LLaMA-shaped: llama stands in)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    torch.manual_seed(seed)
    arch = {"baichuan": "llama"}.get(recipe.base.architecture, recipe.base.architecture)
    common = dict(vocab_size=vocab_size)
    if arch == "bloom":
        config = AutoConfig.for_model("bloom", hidden_size=64, n_layer=2, n_head=4, **common)
    else:
        kv = 2 if recipe.base.shape.kv_heads else 4
        config = AutoConfig.for_model(arch, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=kv, max_position_embeddings=512, **common)
    return AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
