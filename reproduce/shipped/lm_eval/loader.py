"""The shipped task's questions, read from the JSON-lines file beside this one (lm-eval calls `load`)."""

from pathlib import Path

QUESTIONS = Path(__file__).with_name("questions.jsonl")


def load(**_options):
    import datasets

    return datasets.DatasetDict({"test": datasets.load_dataset("json", data_files=str(QUESTIONS), split="train")})
