"""The gate's speed-ups give exactly the results of the slow paths they replace.

- PyStemmer (C Snowball) stems as the pure-Python `snowballstemmer` does;
- `zipf_es` reads wordfreq's table as `wordfreq.zipf_frequency` does;
- `normalise_numbers` skips a rewrite only when its pattern cannot match;
- pySBD's abbreviation step, deduplicated, splits as pySBD's own class does;
- `prepare_context` changes when the context is learnt, never what the gate says.

The texts are the worked example, the training rows and the labeled corpus (all their
string fields), plus hand-written lines for each rewrite.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pysbd
import snowballstemmer
from snowballstemmer.spanish_stemmer import SpanishStemmer
from wordfreq import get_frequency_dict, top_n_list, zipf_frequency

from aimed_contracts import grounding, lexicon, quantities, sentences
from aimed_contracts.examples import EXAMPLE_CARDS, EXAMPLE_CONTEXT, EXAMPLE_TOPIC
from aimed_contracts.grounding import check_card, prepare_context
from aimed_contracts.lexicon import words, zipf_es
from tests.support.grounding_corpus import load_corpus

REPO = Path(__file__).resolve().parents[2]

HAND_WRITTEN = [
    "Dosis de 0,5 mg por kilogramo y hora, 2 g al día o 3 comprimidos diarios.",
    "Una TA mayor o igual que 140 mmHg, al menos dos horas, como máximo 3 g, MÁS DE 5 mg.",
    "Glucemia inferior a 70 mg/dL o menor o igual a 54; entre dos y tres semanas.",
    "supervivencia89–91 y mortalidad12,13 [4] [5-7]; 1.6 mEq /L; 250 mg/ kg.",
    "Sin números ni unidades: se recomienda valorar al paciente.",
    "Dosis ſuperior a 4 g (una ſ larga); İ e ı también: MAYOR DE 65 años.",
    "Se da p. ej. la dosis de 0,5 mg. Después, i.v. cada 8 h. Ver Dr. García.",
    "De. de. DE. co.Co c. C. con. Con. etc. Se pauta. No. 5 y núm. 3. La tel. 912.",
    "Pauta: a. En ayunas. b. Con comida. Máx. 3 g/día. Mín. 1 g. aprox. 2 h.",
]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@cache
def _texts() -> tuple[str, ...]:
    texts = [EXAMPLE_CONTEXT, *(s for card in EXAMPLE_CARDS.values() for s in _strings(card))]
    for path in sorted((REPO / "training" / "data").rglob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                texts.extend(_strings(json.loads(line)))
    for context in load_corpus(None):
        texts.extend(grounding._context_texts(context.context))
        for case in context.cases:
            texts.extend(_strings(case.card))
    return tuple(dict.fromkeys([*texts, *HAND_WRITTEN]))


def test_the_c_stemmer_is_used_and_stems_as_the_pure_python_one() -> None:
    import Stemmer  # PyStemmer, pinned in libs/contracts/pyproject.toml

    fast = snowballstemmer.stemmer("spanish")
    assert isinstance(fast, Stemmer.Stemmer)
    slow = SpanishStemmer()
    vocabulary = sorted({w.casefold() for text in _texts() for w in words(text)})
    assert len(vocabulary) > 3000
    differ = [w for w in vocabulary if fast.stemWord(w) != slow.stemWord(w)]
    assert differ == []


def test_zipf_es_is_wordfreqs_zipf_frequency() -> None:
    corpus = {w.casefold() for text in _texts() for w in words(text)}
    odd = ["", "xyzzyq", "apixabán", "über", "ñandú", "hba1c", "HbA1c", "K", "Añadirse", "l'", "a-b", "ſ"]
    vocabulary = sorted({*top_n_list("es", 30000), *corpus, *odd})
    differ = [w for w in vocabulary if zipf_es(w) != zipf_frequency(w, "es")]
    assert differ == []
    # One table in memory, shared with wordfreq's own lookups (it takes ~40 ms to build).
    assert lexicon._frequencies() is get_frequency_dict("es", "best")


def _every_rewrite(text: str) -> str:
    """`normalise_numbers` without its shortcuts: every pattern, in order."""
    q = quantities
    text = text.translate(q._SUPERSCRIPTS).translate(q._DASHES)
    text = q._BRACKET_CITATION.sub("", text)
    text = q._GLUED_CITATION.sub("", text)
    text = q._UNIT_SPACE.sub("/", text)
    text = q._WORD_DENOMINATOR.sub(q._denominator, text)
    text = q._DAILY.sub("/día", text)
    for pattern, symbol in q._COMPARISONS:
        text = pattern.sub(symbol, text)
    return q._WORDED_NUMBER.sub(q._worded, text)


def test_normalise_numbers_shortcuts_change_nothing() -> None:
    texts = [*_texts(), *(line for text in _texts() for line in text.splitlines())]
    differ = [t for t in texts if quantities.normalise_numbers(t) != _every_rewrite(t)]
    assert differ == []
    # The hand-written lines do exercise the rewrites.
    assert quantities.normalise_numbers(HAND_WRITTEN[0]).count("/") >= 3
    assert "≥" in quantities.normalise_numbers(HAND_WRITTEN[1])


def test_the_abbreviation_step_splits_as_pysbd_does() -> None:
    stock = pysbd.Segmenter(language="es", clean=False, char_span=False)
    ours = sentences._segmenter()
    lines = {line for text in _texts() for line in text.splitlines() if sentences._INNER_STOP.search(line)}
    assert len(lines) > 200
    differ = [
        line for line in sorted(lines) if ours.processor(line).process() != stock.processor(line).process()
    ]
    assert differ == []


def test_prepare_context_builds_every_part_and_changes_no_report() -> None:
    context = EXAMPLE_CONTEXT + "\nUna frase nueva para que el contexto no esté en la caché."
    expected = {kind: check_card(card, context, topic=EXAMPLE_TOPIC) for kind, card in EXAMPLE_CARDS.items()}
    grounding._context_index.cache_clear()
    prepare_context(context, topic=EXAMPLE_TOPIC)
    index = grounding._context_index((context,), EXAMPLE_TOPIC)
    parts = ("sentences", "clauses", "sentence_keys", "sentence_unit_keys", "placed", "common_entity_keys")
    for part in parts:
        assert part in vars(index), part  # built now, not on the first card that needs it
    for kind, card in EXAMPLE_CARDS.items():
        assert check_card(card, context, topic=EXAMPLE_TOPIC) == expected[kind]
    # Passages and a topic of None are accepted as check_card accepts them.
    prepare_context([{"text": EXAMPLE_CONTEXT}, "Otra."], topic=None)
