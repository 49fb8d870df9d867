"""The shard-by-shard merge (`aimed_training.merge`) against peft's own merge_and_unload, on CPU."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aimed_training.merge import MergeError, lora_scale, merge_by_shard


def _tiny_llama(folder: Path, layers: int = 2) -> Any:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=300, hidden_size=64, intermediate_size=128, num_hidden_layers=layers,
        num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=False,
    )  # fmt: skip
    model = LlamaForCausalLM(config).to(torch.float16)
    # Small shards, so the merge crosses file boundaries as an 8B checkpoint does.
    model.save_pretrained(folder, max_shard_size="100KB")
    return model


def _adapter(base: Any, folder: Path, *, rslora: bool) -> Any:
    import torch
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=8, lora_alpha=16, use_rslora=rslora, target_modules=["q_proj", "v_proj", "down_proj"],
        lora_dropout=0.0, bias="none", task_type="CAUSAL_LM",
    )  # fmt: skip
    peft_model = get_peft_model(base.float(), config)
    torch.manual_seed(1)
    for name, parameter in peft_model.named_parameters():
        if "lora_B" in name:  # B starts at zero: give it weights so the merge changes something
            parameter.data.normal_(0, 0.05)
    peft_model.save_pretrained(folder)
    return peft_model


@pytest.mark.parametrize("rslora", [True, False])
def test_merge_by_shard_equals_peft_merge_and_unload(tmp_path: Path, rslora: bool) -> None:
    import torch
    from safetensors.torch import load_file

    base = _tiny_llama(tmp_path / "base")
    assert len(list((tmp_path / "base").glob("*.safetensors"))) > 1
    peft_model = _adapter(base, tmp_path / "adapter", rslora=rslora)
    expected = {k: v.to(torch.float16) for k, v in peft_model.merge_and_unload().state_dict().items()}

    lines: list[str] = []
    stats = merge_by_shard(
        tmp_path / "base", tmp_path / "adapter", tmp_path / "merged", lines.append, max_shard_bytes=60_000
    )

    index = json.loads((tmp_path / "merged/model.safetensors.index.json").read_text())
    merged: dict[str, Any] = {}
    for file in sorted(set(index["weight_map"].values())):
        merged.update(load_file(tmp_path / "merged" / file))
    assert set(merged) == set(expected)
    for name, tensor in expected.items():
        assert merged[name].dtype == torch.float16
        torch.testing.assert_close(merged[name], tensor, atol=2e-3, rtol=2e-3, msg=name)
    assert stats.merged_modules == 2 * 3 and stats.dequantized == 0 and stats.shards > 1
    config = json.loads((tmp_path / "merged/config.json").read_text())
    assert config["torch_dtype"] == "float16" and "quantization_config" not in config
    assert any(line.startswith("merge: ") for line in lines)  # plain progress lines with the meter


def test_lora_scale_is_peft_scaling() -> None:
    assert lora_scale({"r": 32, "lora_alpha": 32, "use_rslora": True}) == pytest.approx(32 / 32**0.5)
    assert lora_scale({"r": 32, "lora_alpha": 32, "use_rslora": False}) == 1.0


def test_an_adapter_for_other_weights_is_refused(tmp_path: Path) -> None:
    _adapter(_tiny_llama(tmp_path / "base", layers=2), tmp_path / "adapter", rslora=True)
    _tiny_llama(tmp_path / "smaller", layers=1)  # has no layer 1 for the adapter's layer-1 modules
    with pytest.raises(MergeError, match="does not have"):
        merge_by_shard(tmp_path / "smaller", tmp_path / "adapter", tmp_path / "merged", lambda _: None)
