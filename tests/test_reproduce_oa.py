"""The Open-Assistant bloom-zh-3b mix: each reader exactly on a tiny fixture, the split and caps, and
OA's label masking; Vicuna's masking against FastChat's arithmetic on a LLaMA-like tokenizer."""

from __future__ import annotations

import gzip
import random
from pathlib import Path
from types import SimpleNamespace

import pytest

from reproduce.oa_data import TRANSLATION_PROMPTS, dolly, gsm8k, joke, load_part, oasst_trees, translation, webgpt
from reproduce.templates import IGNORE_INDEX, render, segments

OA = Path(__file__).parent / "fixtures" / "reproduce" / "oa"


def pair(q, a):
    return {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}


class StubRng:
    """random() and choice() from fixed scripts; shuffle keeps the order."""

    def __init__(self, randoms, choices):
        self.randoms, self.choices = list(randoms), list(choices)

    def random(self):
        return self.randoms.pop(0)

    def choice(self, seq):
        return seq[self.choices.pop(0)]

    def shuffle(self, x):
        pass


def test_oasst_export_threads_filtered_by_language_state_and_deletion(tmp_path):
    expected = [
        [{"messages": [{"role": "user", "content": "What is a meme?"}, {"role": "assistant", "content": "An idea that spreads."},
                       {"role": "user", "content": "Where does the word come from?"},
                       {"role": "assistant", "content": "From Dawkins, 1976."}]}],
        [pair("地球总人口是多少", "大约八十亿。")],  # the trailing prompter leaf is dropped
    ]
    assert oasst_trees(OA / "oasst_trees.jsonl", ["en", "zh"]) == expected
    assert oasst_trees(OA / "oasst_trees.jsonl", ["zh"]) == expected[1:]
    packed = tmp_path / "trees.jsonl.gz"
    packed.write_bytes(gzip.compress((OA / "oasst_trees.jsonl").read_bytes()))
    assert oasst_trees(packed, ["en", "zh"]) == expected


def test_single_exchange_readers_are_exact():
    # OA 62b6a92: Dolly's context (citations removed) and WebGPT's lang are properties, each kept in the system tag
    # when random() > 0.5; an empty context draws nothing
    kept = dolly(OA / "dolly.jsonl", StubRng([0.9], []))
    assert kept == [{**pair("When was it built?", "In 1889."), "oa_system": "context: The tower was built in 1889. It is tall. See ."},
                    pair("Name a fruit.", "Apple.")]
    assert dolly(OA / "dolly.jsonl", StubRng([0.2], [])) == [pair("When was it built?", "In 1889."), pair("Name a fruit.", "Apple.")]
    assert joke(OA / "joke.jsonl") == [pair("I told a chemistry joke, no reaction.", "A pun on chemical reactions.")]
    assert gsm8k(OA / "gsm8k.jsonl") == [pair("Tom has 2 apples and buys 3. How many?", "2 + 3 = <<2+3=5>>5\n#### 5")]
    assert webgpt(OA / "webgpt.jsonl", StubRng([0.7], [])) == [
        {**pair("Why is the sky blue?", "Rayleigh scattering."), "oa_system": "lang: en"}]


def test_oasst_system_tag_opens_the_conversation_unsupervised():
    example = {**pair("When was it built?", "In 1889."), "oa_system": "context: Built in 1889."}
    assert render("oasst", example) == ("<|system|>context: Built in 1889.\n</s><|prompter|>When was it built?</s>"
                                        "<|assistant|>In 1889.</s>")
    assert [s.text for s in segments("oasst", example) if s.supervised] == ["In 1889.</s>"]


def test_translation_direction_and_prompt_come_from_the_rng():
    # row 1: random() > 0.5 -> zh to en, worded by the 3rd English prompt; row 2: en to zh, 4th Chinese prompt
    rows = translation(OA / "wmt_zh-en.jsonl", "zh-en", StubRng([0.9, 0.1], [2, 3]))
    assert rows == [pair("english translation: '你好'", "Hello"), pair("翻译成中文: Thanks", "谢谢")]
    assert TRANSLATION_PROMPTS["ja"][0] == "{}: help me translate to japanese"


def test_split_and_caps_follow_the_card():
    part = SimpleNamespace(format="oa-dolly", name="dolly15k", languages=None,
                           sampling=SimpleNamespace(val_split=0.5, max_examples=None, val_examples=None))
    train, val = load_part(OA / "dolly.jsonl", part, rng=random.Random(1))
    assert len(train) == 1 and len(val) == 1
    assert sorted(e["messages"][0]["content"] for e in train + val) == sorted(
        e["messages"][0]["content"] for e in dolly(OA / "dolly.jsonl", random.Random(1)))
    capped = SimpleNamespace(format="oa-translation", name="wmt2019_zh-en", languages=None,
                             sampling=SimpleNamespace(val_split=None, max_examples=1, val_examples=1000))
    train, val = load_part(OA / "wmt_zh-en.jsonl", capped, rng=random.Random(0))
    assert len(train) == 1 and val == []
    trees = SimpleNamespace(format="oasst-export", name="oasst_export", languages=["en", "zh"],
                            sampling=SimpleNamespace(val_split=0.5, max_examples=None, val_examples=None))
    train, val = load_part(OA / "oasst_trees.jsonl", trees, rng=random.Random(0))
    assert len(train) == 1 and len(val) == 1  # split by tree: two trees kept, one each side


def test_oasst_supervision_is_oas_shifted_assistant_mask():
    chat = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
                         {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Goodbye."}]}
    assert render("oasst", chat) == "<|prompter|>Hi</s><|assistant|>Hello!</s><|prompter|>Bye</s><|assistant|>Goodbye.</s>"
    assert [s.text for s in segments("oasst", chat) if s.supervised] == ["Hello!</s>", "<|prompter|>", "Goodbye.</s>"]


# --- Vicuna: FastChat's masking, reproduced --------------------------------------------------------------------

def _llama_like_tokenizer(texts):
    pytest.importorskip("transformers")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=300, special_tokens=["<unk>", "<s>", "</s>"], show_progress=False))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", tok.token_to_id("<s>"))])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>")


def _fastchat_labels(conversation, tokenizer):
    """fastchat/train/train.py preprocess(), the ADD_COLON_TWO branch, rewritten: sep = " ASSISTANT: "."""
    ids = tokenizer(conversation)["input_ids"]
    target = list(ids)
    cur = 1
    target[:cur] = [IGNORE_INDEX] * cur
    sep = " ASSISTANT: "
    for turn in conversation.split("</s>"):
        if turn == "":
            break
        turn_len = len(tokenizer(turn)["input_ids"])
        head, found, _ = turn.partition(sep)
        if not found:
            break
        instruction_len = len(tokenizer(head + sep)["input_ids"]) - 2
        target[cur:cur + instruction_len] = [IGNORE_INDEX] * instruction_len
        cur += turn_len
    target[cur:] = [IGNORE_INDEX] * (len(target) - cur)
    assert cur == len(ids), "FastChat would drop this conversation (tokenization mismatch)"
    return ids, target


def test_vicuna_supervises_exactly_fastchats_tokens():
    from reproduce.templates import VICUNA_SYSTEM, tokenize

    chat = {"messages": [{"role": "user", "content": "Hi there"}, {"role": "assistant", "content": "Hello! How can I help?"},
                         {"role": "user", "content": "Say bye"}, {"role": "assistant", "content": "Goodbye."}]}
    text = render("vicuna_v1.1", chat, system=VICUNA_SYSTEM)
    assert text == (VICUNA_SYSTEM + " USER: Hi there ASSISTANT: Hello! How can I help?</s>USER: Say bye ASSISTANT: Goodbye.</s>")
    tokenizer = _llama_like_tokenizer([text, "USER: ASSISTANT: hello bye"])
    ids, expected = _fastchat_labels(text, tokenizer)
    item = tokenize("vicuna_v1.1", chat, tokenizer, 2048, system=VICUNA_SYSTEM)
    assert item["input_ids"] == ids
    assert item["labels"] == expected
    supervised = [t for t, label in zip(ids, expected) if label != IGNORE_INDEX]
    assert tokenizer.decode(supervised) == "Hello! How can I help?</s> Goodbye.</s>"


def test_vicuna_follows_fastchat_on_the_conversations_it_masks_whole():
    """FastChat's preprocess masks a conversation whole when its turn-by-turn count misses the total: one ending on a
    USER turn, one whose reply holds a literal "</s>"; an empty reply renders as "ASSISTANT:" with no separator."""
    from reproduce.templates import VICUNA_SYSTEM, tokenize

    trailing = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
                             {"role": "user", "content": "Still there?"}]}
    literal = {"messages": [{"role": "user", "content": "Print it"}, {"role": "assistant", "content": "Here: </s> done"}]}
    empty = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": ""},
                          {"role": "user", "content": "Hello?"}, {"role": "assistant", "content": "Yes."}]}
    assert render("vicuna_v1.1", trailing, system="S") == "S USER: Hi ASSISTANT: Hello!</s>USER: Still there? "
    assert render("vicuna_v1.1", empty, system="S") == "S USER: Hi ASSISTANT:USER: Hello? ASSISTANT: Yes.</s>"
    texts = [render("vicuna_v1.1", c, system=VICUNA_SYSTEM) for c in (trailing, literal, empty)]
    tokenizer = _llama_like_tokenizer(texts + ["USER: ASSISTANT: hello bye"])
    for chat in (trailing, literal):
        item = tokenize("vicuna_v1.1", chat, tokenizer, 2048, system=VICUNA_SYSTEM)
        assert set(item["labels"]) == {IGNORE_INDEX}, chat
    ok = {"messages": trailing["messages"][:2]}
    assert any(label != IGNORE_INDEX for label in tokenize("vicuna_v1.1", ok, tokenizer, 2048, system=VICUNA_SYSTEM)["labels"])


def test_fastchat_reader_skips_a_leading_gpt_turn_and_stops_on_other_speakers(tmp_path):
    import json

    from reproduce import ReproduceError
    from reproduce.data import fastchat_split, load_examples

    path = tmp_path / "sharegpt.json"
    path.write_text(json.dumps([
        {"id": "a", "conversations": [{"from": "gpt", "value": "Welcome"}, {"from": "human", "value": "Hi"},
                                      {"from": "gpt", "value": "Hello"}, {"from": "human", "value": "Bye"}]},
        {"id": "b", "conversations": []}]), "utf-8")
    first, empty = load_examples(path, "fastchat")
    assert first["messages"] == [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"},
                                 {"role": "user", "content": "Bye"}]
    assert empty["messages"] == []  # kept until the hold-out is split off, as FastChat permutes every record
    np = pytest.importorskip("numpy")
    records = [{"n": i} for i in range(100)]
    np.random.seed(0)
    order = np.random.permutation(100)
    assert fastchat_split(records, 0.02, 0) == ([records[i] for i in order[:98]], [records[i] for i in order[98:]])
    path.write_text(json.dumps([{"id": "c", "conversations": [{"from": "human", "value": "Hi"},
                                                              {"from": "bing", "value": "Hello"}]}]), "utf-8")
    with pytest.raises(ReproduceError, match=r"sharegpt\.json:1: record 1: speaker 'bing': FastChat's train\.py knows only"):
        load_examples(path, "fastchat")
    path.write_text(json.dumps([{"id": "d", "conversations": [{"from": "human", "value": "Hi"},
                                                              {"from": "human", "value": "Again"}]}]), "utf-8")
    with pytest.raises(ReproduceError, match=r"sharegpt\.json:1: record 1: turn 2 is from 'human'"):
        load_examples(path, "fastchat")


def _write_parquet(path, rows):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=1)  # one row per group: batches are read in turn


def test_parquet_is_read_exactly_as_json_lines(tmp_path):
    from reproduce.data import read_records

    jsonl = OA / "wmt_zh-en.jsonl"
    expected = list(read_records(jsonl))
    parquet = tmp_path / "train-00000-of-00001.parquet"
    _write_parquet(parquet, [record for _, record in expected])
    # the same records with the same numbers, the struct column as a dict (Parquet has no lines to name)
    assert [(p.record, r) for p, r in read_records(parquet)] == [(p.record, r) for p, r in expected]
    assert translation(parquet, "zh-en", StubRng([0.9, 0.1], [2, 3])) == translation(
        jsonl, "zh-en", StubRng([0.9, 0.1], [2, 3]))
    part = SimpleNamespace(format="oa-translation", name="wmt2019_zh-en", languages=None,
                           sampling=SimpleNamespace(val_split=None, max_examples=1, val_examples=1000))
    assert load_part(parquet, part, rng=random.Random(0)) == load_part(jsonl, part, rng=random.Random(0))


def test_parquet_errors_name_file_and_row(tmp_path):
    from reproduce import ReproduceError
    from reproduce.data import read_records

    bad = tmp_path / "rows.parquet"
    _write_parquet(bad, [{"translation": {"zh": "你好", "en": "Hello"}}, {"other": None, "translation": None}])
    with pytest.raises(ReproduceError, match=r"rows\.parquet: record 1: expected fields question, answer; found translation"):
        gsm8k(bad)
    with pytest.raises(ReproduceError, match=r"garbage\.parquet: not a Parquet file"):
        garbage = tmp_path / "garbage.parquet"
        garbage.write_bytes(b"not parquet at all")
        list(read_records(garbage))
    with pytest.raises(ReproduceError, match=r"missing\.parquet: cannot read"):
        list(read_records(tmp_path / "missing.parquet"))


# --- IWSLT/ted_talks_iwslt read from its WIT3 archive ------------------------------------------------------------

def _release(lang: str, talks: list[tuple[str, str, str]]) -> bytes:
    """A WIT3 XML release of (talk id, title, description) zipped as ted_<lang>-20160408.zip holds it."""
    import io
    import zipfile
    from xml.sax.saxutils import escape

    files = "".join(
        f'<file id="{n}"><head><url>http://www.ted.com/talks/{n}</url><talkid>{talk}</talkid>'
        f"<title>{escape(title)}</title><description>{escape(description)}</description>"
        f'<transcription><seekvideo id="0">segment {n}</seekvideo></transcription></head>'
        f"<content>segment {n}</content></file>"
        for n, (talk, title, description) in enumerate(talks, start=1))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as release:
        release.writestr(f"ted_{lang}-20160408.xml", f'<?xml version="1.0" encoding="UTF-8"?><xml language="{lang}">{files}</xml>')
    return buffer.getvalue()


def _archive(path: Path, releases: dict[str, bytes]) -> Path:
    import io
    import tarfile

    with tarfile.open(path, "w:gz") as tar:
        for lang, data in releases.items():
            info = tarfile.TarInfo(f"XML_releases/xml/ted_{lang}-20160408.zip")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


PREFIX = "TED Talk Subtitles and Transcript: "
EN = [("1", "Why we sleep", PREFIX + "A talk on sleep."), ("2", "Only in English", PREFIX + "Never translated."),
      ("3", "Cities", PREFIX + "A talk on cities.")]
JA = [("3", "", PREFIX + "都市の話。"), ("1", "なぜ眠るのか", PREFIX + "睡眠の話。"), ("9", "日本語だけ", "翻訳なし。"),
      ("1", "二つ目の版", "無視される。")]


def test_ted_talks_rows_are_the_loading_scripts(tmp_path):
    from reproduce.ted_talks import talk_rows

    archive = _archive(tmp_path / "XML_releases.tgz", {"en": _release("en", EN), "ja": _release("ja", JA)})
    # In the second language's order; talks both have; description (prefix removed) then title, each only when
    # both sides have text; a repeated talk id stands for its first talk; transcript segments give no rows.
    assert talk_rows(archive, "en_ja_2016") == [
        {"translation": {"en": "A talk on cities.", "ja": "都市の話。"}},
        {"translation": {"en": "A talk on sleep.", "ja": "睡眠の話。"}},
        {"translation": {"en": "Why we sleep", "ja": "なぜ眠るのか"}},
        {"translation": {"en": "A talk on sleep.", "ja": "睡眠の話。"}},
        {"translation": {"en": "Why we sleep", "ja": "なぜ眠るのか"}},
    ]
    assert talk_rows(archive, "ja_en_2016")[0] == {"translation": {"ja": "睡眠の話。", "en": "A talk on sleep."}}


def test_ted_talks_part_of_the_mix_and_its_errors(tmp_path):
    from reproduce import ReproduceError

    archive = _archive(tmp_path / "XML_releases.tgz", {"en": _release("en", EN), "ja": _release("ja", JA)})
    part = SimpleNamespace(format="oa-translation", name="ted_trans_en-ja", languages=None, config="en_ja_2016",
                           sampling=SimpleNamespace(val_split=0.2, max_examples=20000, val_examples=1000))
    train, val = load_part(archive, part, rng=random.Random(0))
    assert (len(train), len(val)) == (4, 1)
    answers = {"A talk on cities.", "都市の話。", "A talk on sleep.", "睡眠の話。", "Why we sleep", "なぜ眠るのか"}
    assert {c["messages"][1]["content"] for c in train + val} <= answers
    with pytest.raises(ReproduceError, match="not the pair its name ends in"):
        load_part(archive, SimpleNamespace(**{**vars(part), "config": "ja_en_2016"}), rng=random.Random(0))
    with pytest.raises(ReproduceError, match=r"config: <lang>_<lang>_<year>.*found 'en_ja_2017'"):
        load_part(archive, SimpleNamespace(**{**vars(part), "config": "en_ja_2017"}), rng=random.Random(0))
    with pytest.raises(ReproduceError, match=r"no XML_releases/xml/ted_zh-20160408\.zip in the archive"):
        load_part(archive, SimpleNamespace(**{**vars(part), "name": "ted_trans_zh-ja", "config": "zh_ja_2016"}),
                  rng=random.Random(0))
    not_zip = _archive(tmp_path / "not-zip.tgz", {"en": _release("en", EN), "ja": b"<xml>not a zip</xml>"})
    with pytest.raises(ReproduceError, match=r"ted_ja-20160408\.zip: expected a zip holding ted_ja-20160408\.xml"):
        load_part(not_zip, part, rng=random.Random(0))
    broken = tmp_path / "broken.tgz"
    broken.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(ReproduceError, match=r"broken\.tgz: not a readable \.tgz archive"):
        load_part(broken, part, rng=random.Random(0))


def test_translation_stops_after_maximum_rows_like_oa():
    rows = [(n, {"translation": {"zh": f"句{n}", "en": f"line {n}"}}) for n in range(1, 11)]
    made = translation(Path("wmt.parquet"), "zh-en", random.Random(0), iter(rows), maximum=3)
    assert len(made) == 4  # OA appends, then breaks once it holds more than maximum_size pairs
    assert {m["messages"][1]["content"] for m in made} <= {"句1", "line 1", "句2", "line 2", "句3", "line 3", "句4", "line 4"}
