"""Merge a LoRA adapter into its base checkpoint one tensor at a time: W' = W + scale * B @ A.

The base is read from its safetensors shards (a local folder or the Hugging Face cache)
and the merged 16-bit model is written in shards of at most `max_shard_bytes`, so the
host never holds more than one output shard and a few input tensors: an 8B model merges
within a free Colab's ~12 GB of RAM. A bitsandbytes 4-bit checkpoint (Unsloth's
`*-bnb-4bit` bases) is dequantized tensor by tensor with bitsandbytes itself, on the GPU
when there is one; the adapter was trained against exactly those dequantized weights.

Why not Unsloth's `save_pretrained_merged(..., "merged_16bit")`: for a 4-bit base it
downloads the original 16-bit model from the Hub (16 GB) and, offline or for a local
4-bit base, refuses ("base model should be a 16bit ... base model for a 16bit merge").
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aimed_training.progress import steps

QUANT_STATE_SUFFIXES = (".quant_state.bitsandbytes__nf4", ".quant_state.bitsandbytes__fp4")
ADAPTER_PREFIX = "base_model.model."
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "chat_template.jinja",
    "tokenizer.model",
)


class MergeError(ValueError):
    """The adapter cannot be merged into this base as it is; the message says why."""


@dataclass(frozen=True)
class MergeStats:
    tensors: int
    merged_modules: int
    dequantized: int
    shards: int
    bytes_written: int


def lora_scale(adapter_config: dict[str, Any]) -> float:
    """peft's scaling: alpha / sqrt(r) with rsLoRA, alpha / r without."""
    r = int(adapter_config["r"])
    alpha = float(adapter_config["lora_alpha"])
    return alpha / math.sqrt(r) if adapter_config.get("use_rslora") else alpha / r


def read_adapter(adapter_dir: Path) -> tuple[dict[str, tuple[Any, Any]], float]:
    """{base weight name: (A, B)} and the scale of a peft LoRA adapter folder."""
    from safetensors.torch import load_file

    config = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    if config.get("rank_pattern") or config.get("alpha_pattern"):
        raise MergeError("adapters with per-module rank_pattern/alpha_pattern are not supported")
    if config.get("modules_to_save"):
        raise MergeError(f"adapters with modules_to_save ({config['modules_to_save']}) are not supported")
    tensors = load_file(str(adapter_dir / "adapter_model.safetensors"))
    pairs: dict[str, tuple[Any, Any]] = {}
    for key in tensors:
        if key.endswith(".lora_A.weight"):
            module = key.removeprefix(ADAPTER_PREFIX).removesuffix(".lora_A.weight")
            b_key = key.replace(".lora_A.weight", ".lora_B.weight")
            if b_key not in tensors:
                raise MergeError(f"{key} has no matching lora_B")
            pairs[f"{module}.weight"] = (tensors[key], tensors[b_key])
    if not pairs:
        raise MergeError(f"{adapter_dir} holds no lora_A/lora_B weights")
    return pairs, lora_scale(config)


def base_folder(name: str) -> Path:
    """A local model folder, or the Hub snapshot of `name` (already cached by training)."""
    folder = Path(name)
    if folder.is_dir():
        return folder
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(name, allow_patterns=["*.json", "*.safetensors", "tokenizer.model"]))


class _ShardReader:
    """Tensors by name across a checkpoint's shards, keeping at most two files open."""

    def __init__(self, folder: Path) -> None:
        index = folder / "model.safetensors.index.json"
        if index.is_file():
            weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
            self.files = {name: folder / file for name, file in weight_map.items()}
        elif (folder / "model.safetensors").is_file():
            from safetensors import safe_open

            with safe_open(str(folder / "model.safetensors"), framework="pt") as handle:
                self.files = dict.fromkeys(handle.keys(), folder / "model.safetensors")
        else:
            raise FileNotFoundError(f"{folder} holds no model.safetensors or model.safetensors.index.json")
        self._open: dict[Path, Any] = {}

    def names(self) -> list[str]:
        return list(self.files)

    def get(self, name: str) -> Any:
        from safetensors import safe_open

        path = self.files[name]
        if path not in self._open:
            if len(self._open) >= 2:
                self._open.pop(next(iter(self._open)))
            self._open[path] = safe_open(str(path), framework="pt", device="cpu")
        return self._open[path].get_tensor(name)


def _quantized(names: list[str]) -> dict[str, str]:
    """{packed 4-bit weight name: its quant_state key} for a bitsandbytes checkpoint."""
    found = {}
    for name in names:
        for suffix in QUANT_STATE_SUFFIXES:
            if name.endswith(suffix):
                found[name.removesuffix(suffix)] = name
    return found


def _dequantize(reader: _ShardReader, name: str, names: list[str], device: Any) -> Any:
    import bitsandbytes.functional as bnb_functional

    prefix = f"{name}."
    state = {key.removeprefix(prefix): reader.get(key) for key in names if key.startswith(prefix)}
    quant_state = bnb_functional.QuantState.from_dict(state, device=device)
    return bnb_functional.dequantize_4bit(reader.get(name).to(device), quant_state)


def _weights(names: list[str]) -> tuple[list[str], set[str]]:
    """The model's own weights (4-bit quant-state entries left out) and which of them are 4-bit."""
    quantized = set(_quantized(names))
    components = {key for name in quantized for key in names if key.startswith(f"{name}.")}
    return [name for name in names if name not in components], quantized


def _merged_tensors(
    reader: _ShardReader, adapter: dict[str, tuple[Any, Any]], scale: float, dtype: Any, device: Any
) -> Iterator[tuple[str, Any, bool, bool]]:
    """(name, merged tensor on CPU, was dequantized, had a LoRA) for every weight of the base."""
    names = reader.names()
    weights, quantized = _weights(names)
    for name in weights:
        is_quantized = name in quantized
        weight = _dequantize(reader, name, names, device) if is_quantized else reader.get(name)
        lora = adapter.get(name)
        if lora is not None:
            a, b = lora
            # In float32 on the GPU when there is one: the sum is rounded to 16 bits once.
            weight = weight.to(device).float() + scale * (b.to(device).float() @ a.to(device).float())
        yield name, weight.to(dtype).cpu().contiguous(), is_quantized, lora is not None


def _write_config(base: Path, out_dir: Path, dtype_name: str) -> None:
    config = json.loads((base / "config.json").read_text(encoding="utf-8"))
    config.pop("quantization_config", None)
    config["torch_dtype"] = dtype_name
    config["dtype"] = dtype_name
    (out_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    if (base / "generation_config.json").is_file():
        shutil.copy2(base / "generation_config.json", out_dir)


def _copy_tokenizer(adapter_dir: Path, base: Path, out_dir: Path) -> None:
    """The adapter's tokenizer (saved by `train`), plus the base's SentencePiece model if it has one."""
    for name in TOKENIZER_FILES:
        source = adapter_dir / name if (adapter_dir / name).is_file() else base / name
        if source.is_file():
            shutil.copy2(source, out_dir / name)


def merge_by_shard(
    base: Path,
    adapter_dir: Path,
    out_dir: Path,
    progress: Callable[[str], None],
    *,
    max_shard_bytes: int = 2 * 2**30,
    dtype_name: str = "float16",
) -> MergeStats:
    """Write base + adapter as a 16-bit safetensors model folder, shard by shard."""
    import torch
    from safetensors.torch import save_file

    adapter, scale = read_adapter(adapter_dir)
    reader = _ShardReader(base)
    unknown = sorted(set(adapter) - set(reader.names()))
    if unknown:
        raise MergeError(f"the adapter targets weights the base does not have: {unknown[:3]}")
    dtype = getattr(torch, dtype_name)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    out_dir.mkdir(parents=True, exist_ok=True)
    shard: dict[str, Any] = {}
    shard_bytes = 0
    written: list[tuple[str, list[str]]] = []
    total = merged = dequantized = 0

    def flush() -> None:
        nonlocal shard, shard_bytes
        file = f"model-{len(written) + 1:05d}.safetensors"
        save_file(shard, str(out_dir / file), metadata={"format": "pt"})
        written.append((file, list(shard)))
        shard, shard_bytes = {}, 0

    with steps(progress, len(_weights(reader.names())[0]), "merge", "tensor") as bar:
        for name, tensor, was_quantized, had_lora in _merged_tensors(reader, adapter, scale, dtype, device):
            size = tensor.numel() * tensor.element_size()
            if shard and shard_bytes + size > max_shard_bytes:
                flush()
            shard[name] = tensor
            shard_bytes += size
            total += 1
            merged += had_lora
            dequantized += was_quantized
            bar.advance(1)
    if shard:
        flush()
    # Renamed to the usual -of- names once the count is known, so the index names the final files.
    weight_map: dict[str, str] = {}
    for number, (file, names) in enumerate(written, start=1):
        final = f"model-{number:05d}-of-{len(written):05d}.safetensors"
        (out_dir / file).rename(out_dir / final)
        weight_map.update(dict.fromkeys(names, final))
    size_total = sum((out_dir / f).stat().st_size for f in set(weight_map.values()))
    index = {"metadata": {"total_size": size_total}, "weight_map": weight_map}
    index_text = json.dumps(index, indent=2) + "\n"
    (out_dir / "model.safetensors.index.json").write_text(index_text, encoding="utf-8")
    _write_config(base, out_dir, dtype_name)
    _copy_tokenizer(adapter_dir, base, out_dir)
    if merged != len(adapter):
        raise MergeError(f"merged {merged} of the adapter's {len(adapter)} modules")
    progress(
        f"merged {merged} LoRA modules (scale {scale:.4f}) into {total} tensors "
        f"({dequantized} dequantized from 4-bit), {len(written)} shards"
    )
    return MergeStats(total, merged, dequantized, len(written), size_total)
