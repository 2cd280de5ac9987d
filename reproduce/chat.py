"""`python -m reproduce chat`: a terminal conversation with a trained model in its recipe's own template, the
answer streamed token by token. Templates with turns (Vicuna, Open-Assistant, Firefly, Qwen) carry the history;
the Alpaca templates answer each line on its own. Ctrl-D ends it (exit 0), Ctrl-C too (exit 130)."""

from __future__ import annotations

import json
import sys

from reproduce import eval_subject
from reproduce.samples import greedy
from reproduce.templates import segments

SINGLE_TURN = {"alpaca", "alpaca-lora"}


def prompt(recipe, history: list[tuple[str, str]], user: str) -> str:  # noqa: ANN001
    """The training text of the conversation so far and `user`, up to where the model answers."""
    if recipe.template.name in SINGLE_TURN:
        history = []
    messages = [m for u, a in history for m in ({"role": "user", "content": u}, {"role": "assistant", "content": a})]
    # a placeholder answer, dropped again: an empty one renders differently in FastChat's template
    messages += [{"role": "user", "content": user}, {"role": "assistant", "content": "x"}]
    example = {"instruction": user, "input": "", "output": "x", "messages": messages}
    return "".join(s.text for s in segments(recipe.template.name, example, system=recipe.template.system)[:-1])


def chat(target: str, recipe_id: str | None, max_new_tokens: int, show_prompt: bool) -> int:
    try:
        return _loop(target, recipe_id, max_new_tokens, show_prompt)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130


def _loop(target: str, recipe_id: str | None, max_new_tokens: int, show_prompt: bool) -> int:
    from transformers import TextStreamer

    subject = eval_subject.resolve(target, recipe_id)
    model, tokenizer = eval_subject.load(subject)
    recipe = subject.recipe
    turns = "a conversation" if recipe.template.name not in SINGLE_TURN else "one instruction at a time"
    print(f"{recipe.id} ({recipe.template.name} template, {turns}); Ctrl-D or Ctrl-C to leave", file=sys.stderr)
    history: list[tuple[str, str]] = []
    streamer = TextStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
    while True:
        try:
            user = input("you> " if sys.stdin.isatty() else "")
        except EOFError:
            print(file=sys.stderr)
            return 0
        if not user.strip():
            continue
        text = prompt(recipe, history, user)
        if show_prompt:
            print("prompt: " + json.dumps(text, ensure_ascii=False), flush=True)
        answer = greedy(recipe, model, tokenizer, text, max_new_tokens, streamer=streamer)
        sys.stdout.flush()
        history.append((user, answer.strip()))
