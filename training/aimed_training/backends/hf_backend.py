"""Plain transformers + peft: the CPU path (tests, small models) and a GPU fallback without Unsloth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aimed_training.config import LoraSettings, ModelConfig, TrainConfig


def clear_gguf_marker(model: Any) -> None:
    """A model dequantized from a GGUF keeps a 'gguf' quantizer that refuses saving; its weights are plain."""
    if getattr(model.config, "quantization_config", None) is not None:
        del model.config.quantization_config
    model.hf_quantizer = None
    model.is_quantized = False


def _gguf_kwargs(model_config: ModelConfig) -> dict[str, Any]:
    if not model_config.gguf_file:
        return {}
    if not (Path(model_config.name) / model_config.gguf_file).is_file():
        raise FileNotFoundError(
            f"GGUF {model_config.gguf_file} not found in {model_config.name}; "
            "model.name must be the folder that holds model.gguf_file"
        )
    return {"gguf_file": model_config.gguf_file}


def load_base_tokenizer(model_config: ModelConfig) -> Any:
    """The base model's tokenizer (with its chat template); pad falls back to EOS."""
    from transformers import AutoTokenizer

    if model_config.tokenizer:
        tokenizer = AutoTokenizer.from_pretrained(model_config.tokenizer)
    else:
        tokenizer = AutoTokenizer.from_pretrained(model_config.name, **_gguf_kwargs(model_config))
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_base(model_config: ModelConfig, *, dtype: Any = None, device_map: Any = None) -> tuple[Any, Any]:
    """The base model and its tokenizer, from a HF folder/name or a GGUF inside a folder."""
    import torch
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = _gguf_kwargs(model_config)
    if dtype is None:
        dtype = torch.bfloat16 if torch.cuda.is_available() else torch.float32
    if model_config.load_in_4bit:
        if not torch.cuda.is_available():
            raise RuntimeError("model.load_in_4bit needs a CUDA GPU (bitsandbytes); set it to false on CPU")
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=dtype
        )
    tokenizer = load_base_tokenizer(model_config)
    model = AutoModelForCausalLM.from_pretrained(
        model_config.name, dtype=dtype, device_map=device_map, **kwargs
    )
    if model_config.gguf_file:
        clear_gguf_marker(model)
    return model, tokenizer


def lora_config(settings: LoraSettings) -> Any:
    from peft import LoraConfig

    return LoraConfig(
        r=settings.r,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        use_rslora=settings.use_rslora,
        target_modules=list(settings.target_modules),
        bias="none",
        task_type="CAUSAL_LM",
    )


def load(config: TrainConfig) -> tuple[Any, Any]:
    import torch
    from peft import get_peft_model, prepare_model_for_kbit_training

    model, tokenizer = load_base(config.model, device_map="auto" if torch.cuda.is_available() else None)
    if config.model.load_in_4bit:
        model = prepare_model_for_kbit_training(model)
    torch.manual_seed(config.training.seed)
    return get_peft_model(model, lora_config(config.lora)), tokenizer
