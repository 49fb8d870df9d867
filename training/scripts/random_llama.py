"""A Llama-3.1-architecture model with random weights, saved as a bitsandbytes 4-bit checkpoint.

For the GPU proofs of docs/benchmarks.md ("Training: the learner's T4 path"), made with no network:
- a LlamaConfig with Llama-3.1's vocabulary size (128,256), llama3 rope scaling and GQA layout,
  `--shape tiny` (4 layers, hidden 256) or `--shape 8b` (Llama-3.1-8B's shape);
- weights drawn at random on the GPU in bf16, then loaded by transformers with
  BitsAndBytesConfig (nf4, double quantization, as Unsloth's `*-bnb-4bit` bases) and saved;
- the tokenizer of `--tokenizer`, a saved HF tokenizer folder. Llama-3.1's own cannot be
  fetched offline; the one used is SmolLM2's byte-level BPE (saved from the demo GGUF, see
  training/scripts/gpu_t4_path.sh), which llama.cpp's converter recognises. Its 49,152 ids
  sit inside the 128,256 rows; the converter pads the rest. (A SentencePiece tokenizer
  trained here was tried first: llama.cpp's JSON-schema grammar sampler fails to start on
  it, "Failed to initialize samplers: std::exception".)

Run (CUDA + bitsandbytes):
  python training/scripts/random_llama.py --shape tiny --tokenizer TOKENIZER_DIR --out /tmp/tiny-llama
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

SHAPES = {
    "tiny": {"hidden_size": 256, "intermediate_size": 768, "num_hidden_layers": 4,
             "num_attention_heads": 8, "num_key_value_heads": 2},
    "8b": {"hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
           "num_attention_heads": 32, "num_key_value_heads": 8},
}  # fmt: skip


def build_model(folder: Path, shape: str, tokenizer_dir: Path) -> None:
    import torch
    from transformers import AutoTokenizer, BitsAndBytesConfig, LlamaConfig, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    config = LlamaConfig(
        vocab_size=128256,
        max_position_embeddings=131072,
        rope_theta=500000.0,
        rope_scaling={
            "rope_type": "llama3",
            "factor": 8.0,
            "low_freq_factor": 1.0,
            "high_freq_factor": 4.0,
            "original_max_position_embeddings": 8192,
        },
        rms_norm_eps=1e-5,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
        torch_dtype="bfloat16",
        **SHAPES[shape],
    )
    started = time.perf_counter()
    torch.manual_seed(1234)
    staging = folder.parent / f"{folder.name}-bf16"
    with torch.device("cuda"):
        torch.set_default_dtype(torch.bfloat16)
        model = LlamaForCausalLM(config)
        torch.set_default_dtype(torch.float32)
    model.save_pretrained(staging, max_shard_size="5GB")
    del model
    torch.cuda.empty_cache()
    quantization = BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.bfloat16,
    )
    model = LlamaForCausalLM.from_pretrained(
        staging, quantization_config=quantization, dtype=torch.bfloat16, device_map="cuda"
    )
    model.save_pretrained(folder, max_shard_size="5GB")
    tokenizer.save_pretrained(folder)
    shutil.rmtree(staging)
    size = sum(p.stat().st_size for p in folder.glob("*.safetensors"))
    print(
        f"built random Llama-3.1 ({shape}) bnb-4bit checkpoint: {size / 2**30:.2f} GiB in "
        f"{time.perf_counter() - started:.1f}s -> {folder}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="tiny")
    parser.add_argument("--tokenizer", type=Path, required=True, help="a saved HF tokenizer folder")
    args = parser.parse_args()
    build_model(args.out, args.shape, args.tokenizer)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
