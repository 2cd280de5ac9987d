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
from reproduce.deepspeed_config import predicted
from reproduce.recipes import all_recipes, apply_overrides, load_recipe
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
    # stanford_alpaca's config less its offload, DeepSpeed AdamW and WarmupDecayLR: the Trainer's AdamW and cosine
    alpaca = load_recipe("alpaca-7b").deepspeed.config
    assert "offload_param" not in alpaca["zero_optimization"] and "optimizer" not in alpaca and "scheduler" not in alpaca
    assert alpaca["zero_optimization"]["stage3_gather_16bit_weights_on_model_save"] is False


def test_predicted_deepspeed_resolves_auto_keeping_the_global_batch():
    config = predicted(load_recipe("alpaca-7b"), devices=8)
    assert config["train_batch_size"] == 128
    assert config["gradient_accumulation_steps"] == 4 and config["train_micro_batch_size_per_gpu"] == 4
    assert config["bf16"]["enabled"] is True and config["zero_optimization"]["reduce_bucket_size"] == 4096 * 4096
    assert "auto" not in json.dumps(config)
    oa = predicted(load_recipe("oasst-bloom-zh-3b"), devices=4)
    assert oa["optimizer"]["params"] == {"lr": 8e-6, "betas": [0.9, 0.95], "eps": 1e-12, "weight_decay": 0.0}
    assert oa["gradient_clipping"] == 2.0 and oa["train_batch_size"] == 128
    # OA's data size is not recorded: the step counts stay for the Trainer to fill from the data it loads
    assert oa["scheduler"]["params"]["total_num_steps"] == "auto"


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
    from reproduce.dataset import shipped_examples
    from reproduce.tokenizer import smoke

    recipe = load_recipe("alpaca-7b")
    return smoke(recipe, shipped_examples(recipe)[0] + [ALPACA_EXAMPLE, ALPACA_INPUT])


def _supervised_text(tokenizer, item):
    return tokenizer.decode([t for t, l in zip(item["input_ids"], item["labels"]) if l != IGNORE_INDEX])


def test_alpaca_supervises_exactly_output_and_eos(tokenizer):
    from reproduce.templates import tokenize
    from reproduce.tokenizer import apply_policy

    recipe = load_recipe("alpaca-7b")
    added = apply_policy(recipe, tokenizer)
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
    with pytest.raises(ReproduceError, match=r"firefly_line\.jsonl:1: record 1: not alpaca data: expected fields instruction, output; found input, kind, target"):
        load_examples(FIXTURES / "firefly_line.jsonl", "alpaca")
    assert load_examples(FIXTURES / "firefly_line.jsonl", "firefly")[0]["category"] == "Poem"


def test_plan_memory_and_launch():
    pytest.importorskip("deepspeed")
    recipe = load_recipe("alpaca-7b")
    plan = make_plan(recipe, "8xA100-80GB")
    assert plan["memory_basis"] == "DeepSpeed estimate_zero3_model_states_mem_needs" and plan["memory_gib"]["host"] == 0
    assert plan["tokens"] == 52002 * 3 * 512 and plan["hours"] > 0 and plan["fits"] is True
    launch = plan["launch"]
    assert "gradient_accumulation_steps=32" in launch["1 GPU"]
    assert "--num_gpus 8" in launch["8 GPUs"] and "gradient_accumulation_steps=4" in launch["8 GPUs"]
    assert "--hostfile hostfile --num_nodes 2" in launch["2 nodes x 8 GPUs"]
    assert list(make_plan(recipe, "1xH100-80GB")["launch"]) == ["1 GPU", "8 GPUs", "2 nodes x 8 GPUs"]
    lora = make_plan(load_recipe("qwen2-7b-neo-sft-multi"), "8xA800-80GB")["launch"]
    assert lora["8 GPUs"].startswith("torchrun --nproc_per_node 8 -m reproduce")
    assert lora["2 nodes x 8 GPUs"].startswith("torchrun --nnodes 2 --nproc_per_node 8")
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
    from reproduce.dataset import shipped_examples
    from reproduce.templates import tokenize, tokenize_many

    # outputs starting with punctuation merge with the prompt's final ":" into one token (the fallback path)
    examples = shipped_examples(load_recipe("alpaca-7b"))[0] + [
        ALPACA_EXAMPLE, ALPACA_INPUT, {"instruction": "Dots.", "input": "", "output": ":..."},
        {"instruction": "Empty.", "input": "", "output": ""}]
    for max_length in (512, 40, 8):
        assert tokenize_many("alpaca", examples, tokenizer, max_length) == [
            tokenize("alpaca", e, tokenizer, max_length) for e in examples]


def test_plan_memory_is_deepspeeds_estimate_and_offload_needs_host_memory():
    """ZeRO-3 on 8 x A100-80GB: DeepSpeed's estimator gives largest layer + 18 bytes x N / 8 per GPU; offloading both
    moves all but the largest layer to the host (18 bytes x N x 1.5 buffer there), and a host without that much RAM
    is refused."""
    pytest.importorskip("deepspeed")
    from deepspeed.runtime.zero.stage3 import estimate_zero3_model_states_mem_needs

    recipe = load_recipe("alpaca-7b")
    n, largest = recipe.base.parameters.midpoint(), 32000 * 4096
    plain = make_plan(recipe, "8xA100-80GB")["memory_gib"]
    _, gpu, _ = estimate_zero3_model_states_mem_needs(int(n), largest, num_gpus_per_node=8, cpu_offload=False)
    assert plain["model_states"] == pytest.approx(gpu / 1024**3) == pytest.approx((4 * largest + 18 * n / 8) / 1024**3)
    offloaded = apply_overrides(recipe, ['deepspeed.config.zero_optimization.offload_param={"device": "cpu"}',
                                         'deepspeed.config.zero_optimization.offload_optimizer={"device": "cpu"}'])
    plan = make_plan(offloaded, "8xA100-80GB", host_memory_gib=64)
    assert plan["memory_gib"]["model_states"] == pytest.approx(4 * largest / 1024**3)
    assert plan["memory_gib"]["host"] == pytest.approx(18 * n * 1.5 / 1024**3) and plan["host_fits"] is False
    assert make_plan(offloaded, "8xA100-80GB", host_memory_gib=1024)["host_fits"] is True
    # the offload costs time: weights and gradients over PCIe and Adam on the CPU
    assert plan["time"]["offload_hours"] > 0 and plan["hours"] > make_plan(recipe, "8xA100-80GB")["hours"]


def test_plan_time_models_8_bit_and_lora():
    """LoRA with 8-bit weights on an RTX 4090: the forward products (and their recomputation under the gradient
    checkpointing prepare_model_for_int8_training turns on) run at half the int8 tensor peak, the input gradients
    at the 16-bit peak; 4 N FLOPs per token for LoRA, 2 N more for the recomputation."""
    from reproduce.plan import INT8_EFFICIENCY, INT8_PEAK, MFU

    recipe = load_recipe("alpaca-lora-7b")
    int8 = make_plan(recipe, "1xRTX4090")
    n, tokens = recipe.base.parameters.midpoint(), int8["tokens"]
    assert int8["flops"] == pytest.approx(6 * n * tokens)
    seconds = (4 * n * tokens / (INT8_PEAK["RTX4090"] * INT8_EFFICIENCY) + 2 * n * tokens / 165e12) / MFU
    assert int8["time"]["compute_hours"] == pytest.approx(seconds / 3600)
    half = make_plan(apply_overrides(recipe, ["lora.load_in_8bit=false"]), "1xRTX4090")
    assert half["time"]["compute_hours"] == pytest.approx(6 * n * tokens / (165e12 * MFU) / 3600)
    assert int8["memory_gib"]["model_states"] < half["memory_gib"]["model_states"]  # 1 byte a weight, not 2


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


def test_bad_run_arguments_are_refused_before_anything_is_written(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["alpaca-7b", "--smoke", "--steps", "0", "--output-dir", str(out)]) == 2
    assert "--steps: expected 1 or more, found 0" in capsys.readouterr().err
    assert main(["alpaca-7b", "--smoke", "--set", "hyperparameters.truncation=random-offset", "--output-dir", str(out)]) == 2
    err = capsys.readouterr().err
    assert "random_offset_probability exactly when truncation is random-offset" in err and "Traceback" not in err
    assert not out.exists()


def test_embeddings_are_resized_as_each_original_did():
    """stanford_alpaca: new rows are the mean of the old; Open-Assistant: 5 special tokens and the rows rounded to a
    multiple of 16, new rows from the model's own initialisation (as the 2023 transformers did, not 5.x's mean)."""
    torch = pytest.importorskip("torch")
    from reproduce.dataset import shipped_examples
    from reproduce.tiny import tiny_model
    from reproduce.tokenizer import apply_policy, resize_embeddings, smoke

    for recipe_id in ("alpaca-7b", "oasst-bloom-zh-3b"):
        recipe = load_recipe(recipe_id)
        tokenizer = smoke(recipe, shipped_examples(recipe)[0])
        model = tiny_model(recipe, len(tokenizer))
        old = model.get_input_embeddings().weight.detach().clone()
        added = apply_policy(recipe, tokenizer)
        resize_embeddings(recipe, model, tokenizer, added)
        rows = model.get_input_embeddings().weight.detach()
        if recipe_id == "alpaca-7b":
            assert added == 1 and rows.shape[0] == len(tokenizer)
            assert torch.allclose(rows[-1], old.mean(dim=0), atol=1e-6)
        else:
            assert added == 3  # <|system|>, <|prefix_begin|>, <|prefix_end|>; the tiny tokenizer has the other two
            assert rows.shape[0] % 16 == 0 and rows.shape[0] >= len(tokenizer)
            new = rows[old.shape[0]:]
            assert not torch.allclose(new, old.mean(dim=0).expand_as(new), atol=1e-3)
            assert torch.equal(rows[:old.shape[0]], old)
