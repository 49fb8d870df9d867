"""From a gold row to token ids and labels: the model's chat template, loss on the assistant only.

The prompt part is rendered with `add_generation_prompt=True`, exactly as the server
renders a request; the completion is what the template adds after it (the card JSON
and the end-of-turn token). Prompt tokens get label -100, so the loss is the
assistant's alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aimed_training.dataset import prompt_messages, target_text

IGNORE_INDEX = -100


class ChatTokenizer(Protocol):
    pad_token_id: int | None
    eos_token_id: int | None

    def apply_chat_template(self, conversation: Any, **kwargs: Any) -> Any: ...

    def __call__(self, text: str, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class EncodedExample:
    input_ids: list[int]
    labels: list[int]

    @property
    def n_tokens(self) -> int:
        return len(self.input_ids)

    def as_features(self) -> dict[str, list[int]]:
        return {"input_ids": self.input_ids, "labels": self.labels, "attention_mask": [1] * self.n_tokens}


def render_prompt(tokenizer: ChatTokenizer, messages: Sequence[Mapping[str, str]]) -> str:
    """The prompt text the model sees before it answers (the chat template's generation prompt)."""
    return str(tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True))


def encode_row(tokenizer: ChatTokenizer, row: Mapping[str, Any]) -> EncodedExample:
    """Token ids of prompt + gold card, with the prompt masked out of the labels."""
    prompt = prompt_messages(row)
    answer = {"role": "assistant", "content": target_text(row)}
    prompt_text = render_prompt(tokenizer, prompt)
    full_text = str(tokenizer.apply_chat_template([*prompt, answer], tokenize=False))
    if not full_text.startswith(prompt_text):
        raise ValueError(
            "the chat template renders the conversation differently from its generation prompt; "
            "the assistant turn cannot be isolated for the loss"
        )
    # The template text already carries any BOS token; adding special tokens again would double it.
    prompt_ids = list(tokenizer(prompt_text, add_special_tokens=False)["input_ids"])
    completion_ids = list(tokenizer(full_text[len(prompt_text) :], add_special_tokens=False)["input_ids"])
    return EncodedExample(
        input_ids=prompt_ids + completion_ids,
        labels=[IGNORE_INDEX] * len(prompt_ids) + completion_ids,
    )


def pad_batch(features: Sequence[Mapping[str, list[int]]], pad_token_id: int) -> dict[str, Any]:
    """Right-pad a batch: pad id for inputs, 0 for the attention mask, -100 for labels."""
    import torch

    width = max(len(f["input_ids"]) for f in features)

    def padded(key: str, fill: int) -> Any:
        return torch.tensor(
            [list(f[key]) + [fill] * (width - len(f[key])) for f in features], dtype=torch.long
        )

    return {
        "input_ids": padded("input_ids", pad_token_id),
        "attention_mask": padded("attention_mask", 0),
        "labels": padded("labels", IGNORE_INDEX),
    }
