"""Chat formatting for training: the assistant-only loss mask, on the real SmolLM2 tokenizer and gold rows."""

from __future__ import annotations

import json
from typing import Any

from aimed_contracts.cards import parse_card
from aimed_training.dataset import prompt_messages, target_text, task_for_row, training_messages
from aimed_training.formatting import IGNORE_INDEX, encode_row, pad_batch, render_prompt
from tests.training.conftest import one_of_each_kind


def test_prompt_tokens_are_masked_and_the_card_is_the_only_target(
    smollm2_tokenizer: Any, train_rows: list[dict[str, Any]]
) -> None:
    for row in one_of_each_kind(train_rows):
        example = encode_row(smollm2_tokenizer, row)
        n_prompt = len(
            smollm2_tokenizer(
                render_prompt(smollm2_tokenizer, prompt_messages(row)), add_special_tokens=False
            )["input_ids"]
        )

        assert len(example.input_ids) == len(example.labels)
        assert example.labels[:n_prompt] == [IGNORE_INDEX] * n_prompt
        assert IGNORE_INDEX not in example.labels[n_prompt:]
        assert example.labels[n_prompt:] == example.input_ids[n_prompt:]
        target = smollm2_tokenizer.decode(example.labels[n_prompt:])
        # The loss covers the card JSON and the end-of-turn token, nothing of the prompt.
        assert target == target_text(row) + "<|im_end|>\n"
        assert (
            parse_card(json.loads(target.removesuffix("<|im_end|>\n"))).kind == row["casos_generados"]["kind"]
        )
        assert smollm2_tokenizer.decode(example.input_ids[:n_prompt]).endswith("<|im_start|>assistant\n")


def test_the_target_is_the_canonical_gold_card(train_rows: list[dict[str, Any]]) -> None:
    row = train_rows[0]
    assert json.loads(target_text(row)) == parse_card(row["casos_generados"]).model_dump(mode="json")
    assert training_messages(row)[:2] == prompt_messages(row)
    assert training_messages(row)[2] == {"role": "assistant", "content": target_text(row)}


def test_tasks_follow_the_card_kind(train_rows: list[dict[str, Any]]) -> None:
    battlecard, mcq, open_drill = one_of_each_kind(train_rows)
    assert (task_for_row(battlecard).task, task_for_row(battlecard).level) == ("battlecard", 1)
    assert (task_for_row(mcq).card_kind, task_for_row(mcq).level) == ("drill_mcq", 1)
    assert (task_for_row(open_drill).card_kind, task_for_row(open_drill).level) == ("drill_open", 2)
    assert task_for_row(mcq).contexts[0].text == mcq["contexto_mcp"]


def test_padding_keeps_pads_out_of_the_loss() -> None:
    batch = pad_batch(
        [
            {"input_ids": [5, 6, 7], "labels": [IGNORE_INDEX, 6, 7], "attention_mask": [1, 1, 1]},
            {"input_ids": [8], "labels": [8], "attention_mask": [1]},
        ],
        pad_token_id=0,
    )
    assert batch["input_ids"].tolist() == [[5, 6, 7], [8, 0, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    assert batch["labels"].tolist() == [[IGNORE_INDEX, 6, 7], [8, IGNORE_INDEX, IGNORE_INDEX]]
