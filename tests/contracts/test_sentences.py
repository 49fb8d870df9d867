"""A context split into sentences: abbreviations and decimals stay inside, lines are boundaries."""

from __future__ import annotations

import pytest

from aimed_contracts.sentences import split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Administrar 0,5 mg. cada 12 h. El INR objetivo es 2.5.",
            ["Administrar 0,5 mg. cada 12 h.", "El INR objetivo es 2.5."],
        ),
        (
            "Se usa en la FA no valvular, p. ej. con apixabán. También i.v. o s.c. según el caso.",
            ["Se usa en la FA no valvular, p. ej. con apixabán.", "También i.v. o s.c. según el caso."],
        ),
        (
            "Dosis máxima (aprox. 600 mg) en adultos. La Dra. Gil lo revisó.",
            ["Dosis máxima (aprox. 600 mg) en adultos.", "La Dra. Gil lo revisó."],
        ),
        (
            "Criterios de ingreso:\n• TA > 180 mmHg\n- FC < 50 lpm\nSi se cumple uno, ingresar.",
            ["Criterios de ingreso:", "• TA > 180 mmHg", "- FC < 50 lpm", "Si se cumple uno, ingresar."],
        ),
        (
            "Dosis | Peso | Intervalo\n10 mg | <60 kg | 12 h\n\n15 mg | ≥60 kg | 24 h",
            ["Dosis | Peso | Intervalo", "10 mg | <60 kg | 12 h", "15 mg | ≥60 kg | 24 h"],
        ),
        (
            "Reduce la mortalidad12,13. La supervivencia89–91 mejora.",
            ["Reduce la mortalidad12,13.", "La supervivencia89–91 mejora."],
        ),
        (
            "¿Cuándo anticoagular? Siempre que\nel CHA2DS2-VASc sea ≥ 2.",
            ["¿Cuándo anticoagular?", "Siempre que\nel CHA2DS2-VASc sea ≥ 2."],
        ),
        ("Sin punto final", ["Sin punto final"]),
        ("", []),
        ("  \n\n ", []),
    ],
)
def test_sentences_are_split_where_a_reader_would(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_every_sentence_is_a_verbatim_piece_of_the_text_in_order() -> None:
    text = (
        "La hiperpotasemia grave (K > 6,5 mEq/L) es una urgencia.  Administrar gluconato cálcico\n"
        "10 ml i.v. en 2–3 min, p. ej. por vía periférica. Repetir si persiste.\n- Insulina 10 UI."
    )
    sentences = split_sentences(text)
    cursor = 0
    for sentence in sentences:
        found = text.find(sentence, cursor)
        assert found >= cursor, sentence
        cursor = found + len(sentence)
    assert "".join(sentences).replace(" ", "") == "".join(text.split())


@pytest.mark.parametrize(
    "line",
    [
        "• TA sistólica < 90 mmHg, FC > 120 lpm",
        "Fármaco | Dosis | Vía Atropina | 0,5 mg | iv",
        "La dosis máxima es 3 mg.",
        "¿Cuál es el umbral?",
    ],
)
def test_a_line_without_an_inner_stop_is_one_sentence_without_calling_pysbd(
    line: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aimed_contracts.sentences as sentences

    def fail() -> None:
        raise AssertionError("pySBD called on a line with no inner stop")

    monkeypatch.setattr(sentences, "_segmenter", fail)
    assert sentences._pieces(line) == [line]


def test_a_line_with_an_inner_stop_is_still_split_by_pysbd() -> None:
    assert split_sentences("Dosis de 0,5 mg i.v. cada 5 min. Máximo 3 mg.") == [
        "Dosis de 0,5 mg i.v. cada 5 min.",
        "Máximo 3 mg.",
    ]
