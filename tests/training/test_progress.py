"""Progress of long steps: a tqdm bar with an estimate on a terminal, plain lines elsewhere."""

from __future__ import annotations

import io

from aimed_training.progress import Progress, steps


def test_plain_lines_carry_done_total_and_time_left_when_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(stream)
    assert not progress.interactive  # a StringIO is no terminal
    with steps(progress, 3, "train", "step") as bar:
        bar.advance(1, "step 1/3 loss 2.0000")
        bar.advance(2)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("[aimed-train] train: step 1/3 loss 2.0000 | ")
    assert "33% 1/3 [00:00<" in lines[0] and "step" in lines[0]  # percent, done/total, elapsed<left, rate
    assert " 3/3 [" in lines[1] and "\r" not in stream.getvalue()


def test_a_terminal_gets_one_bar_with_the_messages_above_it() -> None:
    stream = io.StringIO()
    progress = Progress(stream, interactive=True)
    with steps(progress, 2, "export", "stage") as bar:
        bar.advance(1, "merged")
        bar.advance(1, "converted")
    text = stream.getvalue()
    assert "[aimed-train] export: merged" in text and "[aimed-train] export: converted" in text
    assert "\r" in text and "2/2" in text and "stage" in text  # tqdm redraws its bar in place


def test_any_callable_gets_plain_lines() -> None:
    lines: list[str] = []
    with steps(lines.append, 2, "eval", "card") as bar:
        bar.advance(1, "row 1/2")
    assert len(lines) == 1 and lines[0].startswith("eval: row 1/2 | ") and "1/2" in lines[0]
