"""Spanish words as the grounding gate compares them: which words carry content, and their stems.

A content word of a claim is supported when the context has the same word or a word
with the same Snowball stem (so "administra"/"administrar", "insulina"/"insulinas",
"criterio"/"criterios" match), compared without accents or case.

Words never checked: function words (articles, prepositions, pronouns, conjunctions,
auxiliaries) and a short list of words that frame a card rather than state a medical
fact (GENERIC_WORDS). Both lists are written here on purpose instead of taken from a
general stop-word list: those include quantities and comparisons ("dos", "mayor",
"menos", "antes", "después") which change a clinical fact and must be in the context.
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

from aimed_contracts.quantities import UNIT_SPELLINGS, fold

_FUNCTION_WORDS = """
    a al ante con contra de del desde durante en entre hacia hasta mediante para por sin sobre tras
    el la los las lo un una unos unas
    y e o u ni que pero sino porque pues como cuando donde si aunque mientras cual cuales cuyo cuya
    quien quienes cuyos cuyas
    se le les me te nos os su sus mi mis tu tus él ella ellos ellas ello esto eso este esta estos
    estas ese esa esos esas aquel aquella aquellos aquellas otro otra otros otras mismo misma
    mismos mismas cada tal
    es son ser sea sean será serán sería fue fueron era eran siendo sido está están estar esté
    estén estaba estaban ha han he hay haber habrá había habían
    debe deben deberá debería puede pueden podrá podría tiene tienen tener
    no sí ya muy más también solo sólo
"""
FUNCTION_WORDS: frozenset[str] = frozenset(fold(word) for word in _FUNCTION_WORDS.split())

# Words that frame a card (didactic or generic clinical vocabulary), not medical facts.
# Keep this short: every word here is one the gate no longer checks.
_GENERIC_WORDS = """
    paciente pacientes caso casos clínico clínica clínicos clínicas
    opción opciones respuesta respuestas pregunta preguntas correcta correcto correctas correctos
    incorrecta incorrecto incorrectas incorrectos explicación
    contexto guía guías según
    diagnóstico tratamiento manejo dosis valor valores nivel niveles cifra cifras
    presenta presentan cumple cumplen identifica identifican reconoce reconocen
"""
GENERIC_WORDS: frozenset[str] = frozenset(fold(word) for word in _GENERIC_WORDS.split())

_WORD = re.compile(r"[^\W_]+")
_STEMMER = snowballstemmer.stemmer("spanish")


def words(text: str) -> list[str]:
    """The words of `text` as written (numbers left out: the quantity check owns them)."""
    return [word for word in _WORD.findall(text) if not word.isdigit()]


@lru_cache(maxsize=65536)
def stems(word: str) -> frozenset[str]:
    """Folded Snowball stems of a word and of its singular.

    The stemmer reads accents, so fold after stemming. Snowball stems some plurals
    differently from their singular ("regulares" -> "regular", "regular" -> "regul"),
    so the singular's stem counts too.
    """
    lowered = word.casefold()
    forms = {lowered}
    if len(lowered) > 4 and lowered.endswith("es"):
        forms.add(lowered[:-2])
    if len(lowered) > 3 and lowered.endswith("s"):
        forms.add(lowered[:-1])
    return frozenset(fold(_STEMMER.stemWord(form)) for form in forms)


def is_checked(word: str) -> bool:
    folded = fold(word)
    return folded not in FUNCTION_WORDS and folded not in GENERIC_WORDS and folded not in UNIT_SPELLINGS


class Vocabulary:
    """The words of a context, indexed for the question "does the context use this word?"."""

    def __init__(self, texts: list[str]) -> None:
        self.folded: set[str] = set()
        self.stems: set[str] = set()
        for text in texts:
            for word in words(text):
                self.folded.add(fold(word))
                self.stems.update(stems(word))

    def supports(self, word: str) -> bool:
        return fold(word) in self.folded or not self.stems.isdisjoint(stems(word))
