"""Anki export cost: build the .apkg of N cards with the gateway's AnkiPackage (no HTTP).

Cards are the example MCQ drill rendered to Markdown, spread over 1,200 topics in 7
modulos, as the gateway receives them page by page from the scheduler (500 per page).
Reports the time to add the cards, the time to write the package, its size and the
process's peak memory.
Usage: .venv/bin/python bench/anki_export.py [--cards N]
"""

from __future__ import annotations

import argparse
import platform
import resource
import time

from aimed_contracts.cards import parse_card
from aimed_contracts.examples import EXAMPLE_CARDS
from aimed_contracts.markdown import render_markdown
from aimed_gateway.anki import AnkiPackage

TOPICS = 1_200
PAGE = 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=20_000)
    args = parser.parse_args()
    payload = EXAMPLE_CARDS["drill_mcq"]
    markdown = render_markdown(parse_card(payload))
    topics = [{"id": i, "title": f"Tema {i:04d}", "modulo": f"Módulo {i % 7}"} for i in range(1, TOPICS + 1)]
    cards = [
        {
            "id": n,
            "topic_id": 1 + n % TOPICS,
            "kind": "drill_mcq",
            "markdown": markdown,
            "grounding_report": {},
        }
        for n in range(1, args.cards + 1)
    ]
    package = AnkiPackage("bench", topics, include_flagged=False)
    start = time.perf_counter()
    for offset in range(0, len(cards), PAGE):
        package.add_cards(cards[offset : offset + PAGE])
    added = time.perf_counter() - start
    start = time.perf_counter()
    path = package.write()
    written = time.perf_counter() - start
    size = path.stat().st_size
    path.unlink()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"python {platform.python_version()} on {platform.machine()}")
    print(f"cards {args.cards}, notes {package.notes}, decks {len(package.decks)}")
    print(f"add_cards {added:.2f} s, write {written:.2f} s, package {size / 2**20:.1f} MiB")
    print(f"peak RSS {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
