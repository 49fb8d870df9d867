"""Print the card JSON Schema: `python -m aimed_contracts.schema > docs/card.schema.json`."""

from __future__ import annotations

import json
import sys

from aimed_contracts.cards import card_json_schema


def schema_document() -> str:
    """The exact text of docs/card.schema.json (a test keeps the committed file current)."""
    return json.dumps(card_json_schema(None), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    sys.stdout.write(schema_document())
