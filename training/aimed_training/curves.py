"""The loss curve of a run, as a CSV (for tools) and a PNG (for people)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path


def write_loss_curve(losses: Sequence[tuple[int, float]], csv_path: Path, png_path: Path, title: str) -> None:
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["step", "loss"])
        writer.writerows(losses)

    import matplotlib

    matplotlib.use("Agg")  # headless: the job runs in containers and CI
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4))
    axes.plot(
        [step for step, _ in losses], [loss for _, loss in losses], marker="." if len(losses) < 40 else None
    )
    axes.set_xlabel("step")
    axes.set_ylabel("training loss (assistant tokens)")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(png_path, dpi=120)
    plt.close(figure)
