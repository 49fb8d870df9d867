"""`aimed-train export`: adapter → merged 16-bit HF model → GGUF f16 → GGUF q4_k_m.

The adapter is merged into the base weights (scale alpha/sqrt(r) with rsLoRA) rather than
exported as a GGUF LoRA: llama.cpp's adapter converter ignores rsLoRA scaling. A base in
safetensors (a Hub name or a folder, 16-bit or a bitsandbytes 4-bit checkpoint such as
Unsloth's `*-bnb-4bit`) is merged shard by shard (`merge.merge_by_shard`), offline and
within a free Colab's RAM; a GGUF base (the SmolLM2 demo model) is dequantized by
transformers and merged with peft. Conversion uses the vendored convert_hf_to_gguf.py with
its own gguf-py (llama.cpp's requirements file would downgrade transformers), quantization
the pinned llama-quantize. export.json records, per stage, the seconds, the bytes written
and the peak resident memory (RSS) of the process that did the work.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from aimed_llama.toolchain import llama_bin, llama_src
from aimed_training.config import TrainConfig, load_config
from aimed_training.loop import Progress
from aimed_training.merge import base_folder, merge_by_shard
from aimed_training.progress import steps

QUANT_TYPES = {"q4_k_m": "Q4_K_M", "q5_k_m": "Q5_K_M", "q8_0": "Q8_0", "f16": None}


@dataclass(frozen=True)
class ExportResult:
    merged_dir: Path
    gguf_f16: Path
    gguf: Path


@dataclass(frozen=True)
class StageRecord:
    stage: str
    seconds: float
    bytes_written: int
    peak_rss_bytes: int
    # "export process" for the merge (its high-water mark since start), the tool's name otherwise.
    measured_on: str


def _tree_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _self_peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def merge_adapter(run_dir: Path, config: TrainConfig, merged_dir: Path, progress: Progress) -> None:
    """Write base + adapter as one 16-bit HF model folder."""
    adapter = run_dir / "adapter"
    if not (adapter / "adapter_config.json").is_file():
        raise FileNotFoundError(
            f"{adapter} holds no LoRA adapter: pass the output_dir of `aimed-train train`"
        )
    if not config.model.gguf_file:
        base = base_folder(config.model.name)
        progress(f"merging the adapter into {base} shard by shard (16-bit output)")
        merge_by_shard(base, adapter, merged_dir, progress)
        return
    import torch
    from peft import PeftModel

    from aimed_training.backends.hf_backend import load_base

    progress(
        f"loading base {config.model.name} and merging the adapter (peft, rsLoRA={config.lora.use_rslora})"
    )
    base_model, tokenizer = load_base(config.model, dtype=torch.float32)
    merged = PeftModel.from_pretrained(base_model, str(adapter)).merge_and_unload()
    merged.save_pretrained(merged_dir)
    tokenizer.save_pretrained(merged_dir)


def _child_peak_rss(pid: int) -> int:
    """The child's own high-water RSS (VmHWM, Linux); 0 where /proc is not there or it has exited.

    Not wait4's ru_maxrss: Linux carries the parent's RSS into a child across fork + exec,
    so every tool would report at least the export process's own peak.
    """
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _run(command: list[str], progress: Progress, log: Path, env: dict[str, str] | None = None) -> int:
    """Run a tool with its output in `log`; returns its peak RSS in bytes (sampled every 0.2 s)."""
    progress("$ " + " ".join(command))
    peak = 0
    with log.open("w", encoding="utf-8") as handle:
        child = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)
        while child.poll() is None:
            peak = max(peak, _child_peak_rss(child.pid))
            time.sleep(0.2)
    if child.returncode != 0:
        tool = Path(command[1] if command[0] == sys.executable else command[0]).name
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"{tool} failed (exit {child.returncode}), see {log}:\n{tail}")
    return peak


def convert_to_gguf(merged_dir: Path, gguf_f16: Path, progress: Progress) -> int:
    """Returns the converter's peak RSS in bytes."""
    src = llama_src()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(src / "gguf-py"), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, str(src / "convert_hf_to_gguf.py"), str(merged_dir)]
    command += ["--outtype", "f16", "--outfile", str(gguf_f16)]
    return _run(command, progress, gguf_f16.with_suffix(".convert.log"), env)


def quantize(gguf_f16: Path, target: Path, quant: str, progress: Progress) -> int:
    """Returns llama-quantize's peak RSS in bytes."""
    command = [str(llama_bin() / "llama-quantize"), str(gguf_f16), str(target), quant]
    return _run(command, progress, target.with_suffix(".quantize.log"))


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
    gguf_f16 = out_dir / "model-f16.gguf"
    gguf = out_dir / f"model-{quant}.gguf" if QUANT_TYPES[quant] else gguf_f16
    records: list[StageRecord] = []
    with steps(progress, 3 if QUANT_TYPES[quant] else 2, "export", "stage") as bar:
        started = time.perf_counter()
        merge_adapter(run_dir, config, merged_dir, progress)
        records.append(
            StageRecord("merge", round(time.perf_counter() - started, 1), _tree_bytes(merged_dir),
                        _self_peak_rss(), "export process")
        )  # fmt: skip
        bar.advance(1, f"merged into {merged_dir}")
        started = time.perf_counter()
        rss = convert_to_gguf(merged_dir, gguf_f16, progress)
        records.append(
            StageRecord("gguf_f16", round(time.perf_counter() - started, 1), _tree_bytes(gguf_f16), rss,
                        "convert_hf_to_gguf.py")
        )  # fmt: skip
        bar.advance(1, f"converted to {gguf_f16.name}")
        if QUANT_TYPES[quant]:
            started = time.perf_counter()
            rss = quantize(gguf_f16, gguf, QUANT_TYPES[quant], progress)
            records.append(
                StageRecord(quant, round(time.perf_counter() - started, 1), _tree_bytes(gguf), rss,
                            "llama-quantize")
            )  # fmt: skip
            bar.advance(1, f"quantized to {gguf.name}")
    record = {
        "run_dir": str(run_dir),
        "base_model": config.model.name,
        "quantization": quant,
        "gguf": gguf.name,
        "gguf_bytes": gguf.stat().st_size,
        "gguf_sha256": _sha256(gguf),
        "stages": [asdict(r) for r in records],
        "bytes_on_disk_at_end": sum(r.bytes_written for r in records),
    }
    (out_dir / "export.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    for r in records:
        progress(
            f"{r.stage}: {r.seconds:.0f} s, wrote {r.bytes_written / 2**30:.2f} GiB, "
            f"peak RSS {r.peak_rss_bytes / 2**30:.2f} GiB ({r.measured_on})"
        )
    progress(f"wrote {gguf} ({gguf.stat().st_size / 2**20:.1f} MiB)")
    return ExportResult(merged_dir, gguf_f16, gguf)
