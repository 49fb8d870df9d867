"""`aimed-train export`: adapter → merged HF model → GGUF f16 → GGUF q4_k_m.

The adapter is merged into the base weights (peft's `merge_and_unload`, which applies the
rsLoRA scale alpha/sqrt(r)) rather than exported as a GGUF LoRA: llama.cpp's adapter
converter ignores rsLoRA scaling. A 4-bit base (the Unsloth GPU job) is merged on the GPU
by Unsloth into 16-bit weights; a 16-bit/GGUF base is merged with peft on CPU or GPU.
Conversion uses the vendored convert_hf_to_gguf.py with its own gguf-py (llama.cpp's
requirements file would downgrade transformers), quantization the pinned llama-quantize.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from aimed_training.config import TrainConfig, load_config
from aimed_training.loop import Progress
from aimed_training.toolchain import llama_bin, llama_src

QUANT_TYPES = {"q4_k_m": "Q4_K_M", "q5_k_m": "Q5_K_M", "q8_0": "Q8_0", "f16": None}


@dataclass(frozen=True)
class ExportResult:
    merged_dir: Path
    gguf_f16: Path
    gguf: Path


def merge_adapter(run_dir: Path, config: TrainConfig, merged_dir: Path, progress: Progress) -> None:
    """Write base + adapter as one 16-bit HF model folder."""
    adapter = run_dir / "adapter"
    if not (adapter / "adapter_config.json").is_file():
        raise FileNotFoundError(
            f"{adapter} holds no LoRA adapter: pass the output_dir of `aimed-train train`"
        )
    if config.model.load_in_4bit:
        progress("merging the adapter into 16-bit weights with Unsloth (4-bit base)")
        import unsloth  # noqa: F401  (patches transformers/peft on import)
        from unsloth import FastLanguageModel

        model, tokenizer = FastLanguageModel.from_pretrained(
            model_name=str(adapter), max_seq_length=config.model.max_seq_length, load_in_4bit=True
        )
        model.save_pretrained_merged(str(merged_dir), tokenizer, save_method="merged_16bit")
        return
    import torch
    from peft import PeftModel

    from aimed_training.backends.hf_backend import load_base

    progress(
        f"loading base {config.model.name} and merging the adapter (peft, rsLoRA={config.lora.use_rslora})"
    )
    base, tokenizer = load_base(config.model, dtype=torch.float32)
    merged = PeftModel.from_pretrained(base, str(adapter)).merge_and_unload()
    merged.save_pretrained(merged_dir)
    tokenizer.save_pretrained(merged_dir)


def _run(command: list[str], progress: Progress, env: dict[str, str] | None = None) -> None:
    progress("$ " + " ".join(command))
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"{Path(command[1] if command[0] == sys.executable else command[0]).name} failed "
            f"(exit {done.returncode}):\n{(done.stderr or done.stdout)[-3000:]}"
        )


def convert_to_gguf(merged_dir: Path, gguf_f16: Path, progress: Progress) -> None:
    src = llama_src()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(src / "gguf-py"), os.environ.get("PYTHONPATH")])),
    }
    _run(
        [
            sys.executable,
            str(src / "convert_hf_to_gguf.py"),
            str(merged_dir),
            "--outtype",
            "f16",
            "--outfile",
            str(gguf_f16),
        ],
        progress,
        env,
    )


def quantize(gguf_f16: Path, target: Path, quant: str, progress: Progress) -> None:
    _run([str(llama_bin() / "llama-quantize"), str(gguf_f16), str(target), quant], progress)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export(run_dir: Path, out_dir: Path, quant: str, progress: Progress) -> ExportResult:
    if quant not in QUANT_TYPES:
        raise ValueError(f"unknown quantization {quant!r}; choose one of {', '.join(QUANT_TYPES)}")
    config = load_config(run_dir / "config.yaml")
    out_dir.mkdir(parents=True, exist_ok=True)
    merged_dir = out_dir / "merged"
    merge_adapter(run_dir, config, merged_dir, progress)
    gguf_f16 = out_dir / "model-f16.gguf"
    progress(f"converting {merged_dir} to {gguf_f16}")
    convert_to_gguf(merged_dir, gguf_f16, progress)
    gguf = gguf_f16
    if QUANT_TYPES[quant]:
        gguf = out_dir / f"model-{quant}.gguf"
        progress(f"quantizing to {quant}")
        quantize(gguf_f16, gguf, QUANT_TYPES[quant], progress)
    record = {
        "run_dir": str(run_dir),
        "base_model": config.model.name,
        "quantization": quant,
        "gguf": gguf.name,
        "gguf_bytes": gguf.stat().st_size,
        "gguf_sha256": _sha256(gguf),
    }
    (out_dir / "export.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    progress(f"wrote {gguf} ({gguf.stat().st_size / 2**20:.1f} MiB)")
    return ExportResult(merged_dir, gguf_f16, gguf)
