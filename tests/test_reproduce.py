"""`reproduce`: recipes load, templates and masks are exact, constructions, plan, CLI errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reproduce import ReproduceError
from reproduce.cli import main
from reproduce.data import construct, load_examples
from reproduce.plan import make_plan, parse_hardware
from reproduce.recipes import all_recipes, apply_overrides, effective_deepspeed, load_recipe
from reproduce.templates import ALPACA, ALPACA_LORA, IGNORE_INDEX, render, segments

FIXTURES = Path(__file__).parent / "fixtures" / "reproduce"
ALPACA_EXAMPLE = {"instruction": "Name a color.", "input": "", "output": "Blue is a color."}
ALPACA_INPUT = {"instruction": "Repeat the input.", "input": "hello world", "output": "hello world"}
CHAT = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
                     {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Goodbye."}]}


def test_every_recipe_loads_and_has_deviations():
    recipes = all_recipes()
    assert len(recipes) >= 13
    for recipe in recipes:
        assert recipe.deviations, recipe.id
        assert recipe.deepspeed or recipe.lora, recipe.id


def test_recorded_deepspeed_configs_are_kept_verbatim():
    oa = load_recipe("oasst-bloom-zh-3b").deepspeed.config
    assert oa["zero_optimization"]["stage"] == 3
    assert oa["train_batch_size"] == "auto" and oa["steps_per_print"] == 2000
    assert oa["scheduler"]["params"]["warmup_type"] == "linear"
    alpaca = load_recipe("alpaca-7b").deepspeed.config
    assert alpaca["zero_optimization"]["offload_param"] == {"device": "cpu", "pin_memory": True}


def test_effective_deepspeed_resolves_auto_keeping_the_global_batch():
    recipe = load_recipe("alpaca-7b")
    config = effective_deepspeed(recipe, devices=8)
    assert config["train_batch_size"] == 128
    assert config["gradient_accumulation_steps"] == 4 and config["train_micro_batch_size_per_gpu"] == 4
    assert config["bf16"]["enabled"] is True
    assert config["optimizer"]["params"]["lr"] == 2e-5
    assert "auto" not in json.dumps(config)


def test_alpaca_prompt_is_byte_exact():
    assert render("alpaca", ALPACA_EXAMPLE) == (
        "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
        "### Instruction:\nName a color.\n\n### Response:Blue is a color.</s>"
    )
    assert render("alpaca", ALPACA_INPUT).startswith(ALPACA["prompt_input"].format(**ALPACA_INPUT))
    # the recipe card keeps the same strings
    assert load_recipe("alpaca-7b").template.text == ALPACA


def test_other_templates_are_byte_exact():
    assert render("vicuna_v1.1", CHAT, system="SYS") == "SYS USER: Hi ASSISTANT: Hello!</s>USER: Bye ASSISTANT: Goodbye.</s>"
    assert render("oasst", CHAT) == "<|prompter|>Hi</s><|assistant|>Hello!</s><|prompter|>Bye</s><|assistant|>Goodbye.</s>"
    assert render("qwen", CHAT) == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
        "Hello!<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\nGoodbye.<|im_end|>"
    )
    assert render("firefly", CHAT) == "<s>Hi</s>Hello!</s>Bye</s>Goodbye.</s>"
    supervised = [s.text for s in segments("qwen", CHAT) if s.supervised]
    assert supervised == ["Hello!<|im_end|>", "Goodbye.<|im_end|>"]


@pytest.fixture(scope="module")
def tokenizer():
    pytest.importorskip("transformers")
    pytest.importorskip("tokenizers")
    from reproduce.run import shipped_examples, smoke_tokenizer

    recipe = load_recipe("alpaca-7b")
    return smoke_tokenizer(recipe, shipped_examples(recipe) + [ALPACA_EXAMPLE, ALPACA_INPUT])


def _supervised_text(tokenizer, item):
    return tokenizer.decode([t for t, l in zip(item["input_ids"], item["labels"]) if l != IGNORE_INDEX])


def test_alpaca_supervises_exactly_output_and_eos(tokenizer):
    from reproduce.run import apply_tokenizer_policy
    from reproduce.templates import tokenize

    recipe = load_recipe("alpaca-7b")
    added = apply_tokenizer_policy(recipe, tokenizer)
    assert tokenizer.pad_token == "[PAD]" and added <= 1
    for example in (ALPACA_EXAMPLE, ALPACA_INPUT):
        item = tokenize("alpaca", example, tokenizer, 512)
        assert item["input_ids"][0] == tokenizer.bos_token_id
        assert _supervised_text(tokenizer, item) == example["output"] + "</s>"
        assert item["labels"][: 5] == [IGNORE_INDEX] * 5


def test_alpaca_lora_supervises_everything_and_appends_eos(tokenizer):
    from reproduce.templates import tokenize

    item = tokenize("alpaca-lora", ALPACA_EXAMPLE, tokenizer, 256)
    assert item["labels"] == item["input_ids"]
    assert item["input_ids"][-1] == tokenizer.eos_token_id
    assert tokenizer.decode(item["input_ids"], skip_special_tokens=True).endswith("### Response:\nBlue is a color.")


def test_chat_templates_supervise_only_replies(tokenizer):
    from reproduce.templates import tokenize

    vicuna = tokenize("vicuna_v1.1", CHAT, tokenizer, 512, system="S")
    assert _supervised_text(tokenizer, vicuna) == " Hello!</s> Goodbye.</s>"
    oasst = tokenize("oasst", CHAT, tokenizer, 512)
    # OA trains on targets shifted by one from its assistant mask: the next turn's <|prompter|> is predicted too
    assert _supervised_text(tokenizer, oasst) == "Hello!</s><|prompter|>Goodbye.</s>"
    truncated = tokenize("oasst", CHAT, tokenizer, 4)
    assert len(truncated["input_ids"]) == 4


def test_neo_constructions_are_exact():
    path = FIXTURES / "neo_sharegpt.json"
    assert construct("neo-conversations", path) == [
        {"instruction": "Q1", "input": "", "output": "A1"},
        {"instruction": "Q1\nA1\nQ2", "input": "", "output": "A2"},
        {"instruction": "Q1\nA1\nQ2\nA2\nQ3", "input": "", "output": "A3"},
        {"instruction": "你好", "input": "", "output": "你好！"},
    ]
    assert construct("neo-multi", path) == [
        {"instruction": "Q1\nQ2\nQ3", "input": "", "output": "A1\nA2\nA3"},
        {"instruction": "你好", "input": "", "output": "你好！"},
    ]
    assert construct("neo-single", path) == [{"instruction": "你好", "input": "", "output": "你好！"}]
    assert construct("neo-all-pair", path) == [
        {"instruction": "Q1", "input": "", "output": "A1"}, {"instruction": "Q2", "input": "", "output": "A2"},
        {"instruction": "Q3", "input": "", "output": "A3"}, {"instruction": "你好", "input": "", "output": "你好！"},
    ]


def test_data_command_writes_jsonl(tmp_path, capsys):
    out = tmp_path / "single.jsonl"
    assert main(["data", "qwen2-7b-neo-sft-single", "--input", str(FIXTURES / "neo_sharegpt.json"), "--output", str(out)]) == 0
    assert [json.loads(l) for l in out.read_text("utf-8").splitlines()] == [{"instruction": "你好", "input": "", "output": "你好！"}]


def test_malformed_line_names_file_and_line(capsys):
    path = FIXTURES / "malformed.jsonl"
    with pytest.raises(ReproduceError, match=r"malformed\.jsonl:2: malformed JSON line"):
        load_examples(path, "alpaca")
    assert main(["data", "alpaca-7b", "--input", str(path), "--output", "/dev/null"]) == 1
    assert "malformed.jsonl:2" in capsys.readouterr().err


def test_wrong_format_names_expected_and_found_fields():
    with pytest.raises(ReproduceError, match=r"firefly_line\.jsonl:1: not alpaca data: expected fields instruction, output; found input, kind, target"):
        load_examples(FIXTURES / "firefly_line.jsonl", "alpaca")
    assert load_examples(FIXTURES / "firefly_line.jsonl", "firefly")[0]["category"] == "Poem"


def test_plan_memory_and_launch():
    recipe = load_recipe("alpaca-7b")
    plan = make_plan(recipe, "8xA100-80GB")
    memory = plan["memory_gib"]
    assert memory["optimizer"] == 0 and memory["params"] == 0  # ZeRO-3 with CPU offload of both
    assert memory["cpu_offload_total"] > 80
    assert plan["tokens"] == 52002 * 3 * 512 and plan["hours"] > 0
    launch = plan["launch"]
    assert "gradient_accumulation_steps=32" in launch["1 GPU"]
    assert "--num_gpus 8" in launch["8 GPUs"] and "gradient_accumulation_steps=4" in launch["8 GPUs"]
    assert "--hostfile hostfile --num_nodes 2" in launch["2 nodes x 8 GPUs"]
    assert list(make_plan(recipe, "1xH100-80GB")["launch"]) == ["1 GPU", "8 GPUs", "2 nodes x 8 GPUs"]
    zero2 = make_plan(load_recipe("sft-baichuan-7b-prefix"), "8xA800-80GB")["memory_gib"]
    assert zero2["optimizer"] == pytest.approx(7e9 * 12 / 8 / 1024**3)
    assert zero2["params"] == pytest.approx(7e9 * 2 / 1024**3)
    assert parse_hardware("2x8xH100-80GB").count == 16


def test_cli_list_show_plan_and_unknown(capsys):
    assert main(["list"]) == 0
    assert "alpaca-lora-7b" in capsys.readouterr().out
    assert main(["show", "oasst-bloom-zh-3b"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["effective_deepspeed"]["zero_optimization"]["stage"] == 3
    assert main(["vicuna-7b", "--plan", "--hardware", "4xA100-40GB"]) == 0
    out = capsys.readouterr().out
    assert "launch" in out
    # each launch command on one line of its own, whole, to copy (not wrapped at the terminal's width)
    assert re.search(r"^  2 nodes x 4 GPUs: deepspeed --hostfile hostfile .* # hostfile: one line per node, 'HOST slots=4'$",
                     out, re.M)
    assert main(["vicuan-7b", "--plan"]) == 2
    assert "did you mean vicuna-7b" in capsys.readouterr().err


def test_set_overrides_are_validated():
    recipe = apply_overrides(load_recipe("alpaca-7b"), ["hyperparameters.learning_rate=1e-5"])
    assert recipe.hyperparameters.learning_rate == 1e-5
    with pytest.raises(ReproduceError, match="global_batch_size"):
        apply_overrides(load_recipe("alpaca-7b"), ["hyperparameters.devices=3"])
    with pytest.raises(ReproduceError, match="no field"):
        apply_overrides(load_recipe("alpaca-7b"), ["hyperparameters.nope.x=1"])


def test_batched_alpaca_tokenization_equals_the_per_example_original(tokenizer):
    from reproduce.run import shipped_examples
    from reproduce.templates import tokenize, tokenize_many

    # outputs starting with punctuation merge with the prompt's final ":" into one token (the fallback path)
    examples = shipped_examples(load_recipe("alpaca-7b")) + [
        ALPACA_EXAMPLE, ALPACA_INPUT, {"instruction": "Dots.", "input": "", "output": ":..."},
        {"instruction": "Empty.", "input": "", "output": ""}]
    for max_length in (512, 40, 8):
        assert tokenize_many("alpaca", examples, tokenizer, max_length) == [
            tokenize("alpaca", e, tokenizer, max_length) for e in examples]


def test_plan_memory_of_alpaca_zero3_offload_follows_the_arithmetic():
    """alpaca-7b, ZeRO-3 with parameters and optimizer offloaded, 8 x A100-80GB: 6.7B parameters make
    13.5 GB of bf16 weights and 80 GB of fp32 master weights + Adam m and v (12 bytes each) in all;
    ZeRO-3 splits both over the 8 devices and the offload moves them to CPU."""
    recipe = load_recipe("alpaca-7b")
    n = recipe.base.parameters.midpoint()
    assert 6.7e9 <= n <= 6.8e9
    gib, devices = 1024**3, 8
    weights_bf16, adam_fp32 = 2 * n, 12 * n
    assert 13.4e9 < weights_bf16 < 13.6e9 and 80e9 < adam_fp32 < 81.5e9
    memory = make_plan(recipe, "8xA100-80GB")["memory_gib"]
    # both offloaded: nothing of either on the GPU, all of both in CPU memory
    assert memory["params"] == 0 and memory["optimizer"] == 0
    assert memory["cpu_offload_total"] == pytest.approx((weights_bf16 + adam_fp32) / gib)
    # the bf16 gradients stay on the GPUs, split 8 ways under ZeRO-3
    assert memory["grads"] == pytest.approx(weights_bf16 / devices / gib)
    # without the offload each device would hold 1/8 of the weights and of the Adam states
    plain = apply_overrides(recipe, ['deepspeed.config.zero_optimization.offload_param={"device": "none"}',
                                     'deepspeed.config.zero_optimization.offload_optimizer={"device": "none"}'])
    per_device = make_plan(plain, "8xA100-80GB")["memory_gib"]
    assert per_device["params"] == pytest.approx(weights_bf16 / devices / gib)
    assert per_device["optimizer"] == pytest.approx(adam_fp32 / devices / gib)
    assert 1.5 < per_device["params"] < 1.7 and 9.3 < per_device["optimizer"] < 9.5


def test_recorded_template_strings_match_the_originals():
    # tloen/alpaca-lora templates/alpaca.json: both prompts end in "### Response:\n"
    assert load_recipe("alpaca-lora-7b").template.text == ALPACA_LORA
    # FastChat conversation.py vicuna_v1.1: sep=" ", sep2="</s>"
    text = load_recipe("vicuna-7b").template.text
    assert text["sep"] == " " and text["sep2"] == "</s>"


def test_qwen_template_is_llamafactorys_exactly():
    single = {"messages": [{"role": "user", "content": "{query}"}, {"role": "assistant", "content": "{answer}"}]}
    expected = ("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n{query}<|im_end|>\n"
                "<|im_start|>assistant\n{answer}<|im_end|>")
    assert render("qwen", single) == expected
    assert render("qwen", single, system="{system}") == expected.replace("You are a helpful assistant.", "{system}")
    assert [s.text for s in segments("qwen", single) if s.supervised] == ["{answer}<|im_end|>"]
    for recipe_id in ("qwen2-7b-neo-sft-conversations", "qwen2-7b-neo-sft-multi", "qwen2-7b-neo-sft-single",
                      "qwen2-7b-neo-sft-all-pair"):
        template = load_recipe(recipe_id).template
        text = template.text
        assert template.name == "qwen" and template.system == "You are a helpful assistant."
        # the card's slots, put together as LLaMA-Factory does, give the same bytes (separator before later turns)
        def user(q, text=text):
            return text["user"].replace("{content}", q)

        def reply(a, text=text):
            return text["assistant"].replace("{content}", a)

        card = (text["system"].replace("{content}", template.system) + user("Hi") + reply("Hello!")
                + text["separator"] + user("Bye") + reply("Goodbye."))
        assert card == render("qwen", CHAT)
