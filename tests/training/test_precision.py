"""Mixed precision of a run: bf16 where supported, else fp16 with a loss scaler (Unsloth's recipe)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aimed_training.config import TrainConfig
from aimed_training.loop import Hardware, choose_precision, fit, trainer_arguments

T4 = Hardware(cuda=True, bf16=False)
H100 = Hardware(cuda=True, bf16=True)
CPU = Hardware(cuda=False, bf16=False)


def _config(bf16: bool | None = None) -> TrainConfig:
    config = TrainConfig()
    return config.model_copy(update={"training": config.training.model_copy(update={"bf16": bf16})})


@pytest.mark.parametrize(
    ("hardware", "bf16_setting", "expected"),
    [
        (T4, None, (False, True)),  # a T4: fp16 autocast + loss scaler, as Unsloth's notebooks set it
        (H100, None, (True, False)),
        (CPU, None, (False, False)),
        (H100, False, (False, True)),  # bf16 switched off on a bf16 GPU: still mixed precision, fp16
        (T4, False, (False, True)),
    ],
)
def test_trainer_gets_bf16_or_fp16_from_the_hardware(
    tmp_path: Path, hardware: Hardware, bf16_setting: bool | None, expected: tuple[bool, bool]
) -> None:
    args = trainer_arguments(_config(bf16_setting), tmp_path, hardware)
    assert (args["bf16"], args["fp16"]) == expected
    assert choose_precision(_config(bf16_setting), hardware).name == (
        "bf16" if expected[0] else "fp16" if expected[1] else "fp32"
    )


def test_bf16_forced_on_a_machine_without_cuda_is_refused() -> None:
    with pytest.raises(ValueError, match="no CUDA GPU"):
        choose_precision(_config(True), CPU)


def test_fit_hands_those_arguments_to_the_trainer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import trl

    seen: dict[str, Any] = {}

    class Stop(Exception):
        pass

    def record(**kwargs: Any) -> None:
        seen.update(kwargs)
        raise Stop

    # SFTConfig itself refuses fp16 without a GPU: the test reads what fit passes, on CPU.
    monkeypatch.setattr(trl, "SFTConfig", record)

    class Tokenizer:
        pad_token_id = 0
        eos_token_id = 1

    with pytest.raises(Stop):
        fit(object(), Tokenizer(), [], _config(), tmp_path, lambda _: None, T4)
    assert seen == trainer_arguments(_config(), tmp_path, T4)
    assert seen["fp16"] is True and seen["bf16"] is False
