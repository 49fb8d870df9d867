"""Spanish words as the grounding gate compares them: which words are medical terms, and their forms.

**What is a term.** A word is checked (must be supported) only when it is a term:

- rare in general Spanish: its Zipf frequency in `wordfreq`'s Spanish data is below
  `TERM_MAX_ZIPF` (3.5, about 3 occurrences per million words), taking the larger of the
  word's and its `simplemma` lemma's frequency so an inflection of a common word is not
  rare ("añadirse" counts as "añadir"). Drug names, tests and most findings are far
  below it (apixabán 0, troponina 1.8, ecografía 3.1); ordinary Spanish is above it
  (añadir 4.2, además 5.6, suman 4.0, salvo 4.8);
- or an abbreviation: a word with two or more capitals or digits inside (ECG, HbA1c,
  NaHCO3), or one of the documented abbreviations (`data/abbreviations.tsv`: K, Na, iv…).

A word followed by a capital letter ("vitamina D", "hepatitis B") is a term as a pair
(`designated_names`): the context must name the same pair.

Never terms: verb forms, participles and "-mente" adverbs (a drug, test or finding is named
by a noun or an adjective; `is_verb`, `is_participle`), unit spellings and numbers written
as words (the quantity check owns them).

**What supports a term.** Words of the context, of the topic title, and the context's
abbreviations with their expansions. Two words match when they share a form:

- the word folded (no case or accents), its `simplemma` lemma ("persistiera" →
  "persistir"), or the Snowball stem of either (also of the singular);
- a derivation: one stem is the other's prefix after the first 4 letters and covers at
  least 80 % of the shorter stem ("trat" / "tratamient", "contraindic" / "contraindicacion");
  a "-sis" noun matches its "-tico" adjective ("trombólisis" / "trombolítica", "sepsis" /
  "séptico" where the root is long enough), "-fundir" its "-fusión" ("transfunde" /
  "transfusión") and "-nder" its "-nsión" ("suspende" / "suspensión");
- a graded word (hiper-/hipo-/normo- + X) matches X, and a graded analyte level
  (+ -emia/-uria) its analyte, by root or by the Latin root of its element symbol
  ("hipertensión" / "tensión", "hiperpotasemia" / "potasio", "hiponatremia" / "sodio");
- an abbreviation matches its expansion either way: the table's pairs ("K" ↔ "potasio",
  "TA" ↔ "tensión arterial", "PLT" ↔ "plaquetas", "NaHCO3" ↔ "bicarbonato"), and
  definitions in the context ("fibrilación auricular (FA)", "FA (fibrilación auricular)");
- a ratio written with a slash between two words that are not units ("glucosa LCR/sangre",
  "proteínas líquido pleural/suero") supports the words that name a ratio (`RATIO_WORDS`:
  "cociente", "razón", "ratio"), as "≥" supports "mayor o igual".

Snowball and simplemma are used together on purpose: simplemma knows irregular forms and
gives the lemma whose frequency decides "term or not"; Snowball's suffix stripping
matches derived words that have no common lemma. Both load once per process.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from functools import cache, lru_cache
from importlib import resources

import simplemma
import snowballstemmer
from wordfreq import get_frequency_dict, zipf_frequency, zipf_to_freq

from aimed_contracts.quantities import NUMBER_WORDS, UNIT_SPELLINGS, fold

TERM_MAX_ZIPF = 3.5
# Words at least this frequent carry no content for aligning a claim with a sentence
# (articles, prepositions, auxiliaries: de 7.3, que 7.0, se 6.7, cuando 5.7, cada 5.9).
FUNCTION_MIN_ZIPF = 5.5
_MIN_ROOT = 4
_DERIVATION_SHARE = 0.8

_WORD = re.compile(r"[^\W_]+(?:\.[^\W\d_]\.)?")
_ROMAN = re.compile(r"[IVX]+")  # "clase III", "ARA II": numerals, not abbreviations
_EMPHASIS_MIN_ZIPF = 4.5
_ABBREVIATION_SHAPE = re.compile(r"(?:[A-Z].*[A-Z0-9]|.*\d)")
_DEFINED_AFTER = re.compile(r"\(\s*([A-Z][\w.-]{0,9})\s*\)")
_DEFINED_BEFORE = re.compile(r"\b([A-Z][\w.-]{0,9})\s*\(\s*([^\W\d_][^\W\d_ ]*(?: [^\W\d_]+){0,5})\s*\)")


@cache
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("spanish")


@cache
def abbreviation_table() -> dict[str, tuple[str, ...]]:
    """`data/abbreviations.tsv`: abbreviation (as written) -> its expansions."""
    table: dict[str, list[str]] = {}
    text = resources.files("aimed_contracts").joinpath("data/abbreviations.tsv").read_text("utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        abbreviation, expansion = line.split("\t")
        table.setdefault(_abbreviation_key(abbreviation.strip()), []).append(expansion.strip())
    return {key: tuple(values) for key, values in table.items()}


@lru_cache(maxsize=65536)
def _abbreviation_key(word: str) -> str:
    # One or two characters are matched as written ("K" is not "k", "Na" is not "na").
    return word if len(word.replace(".", "")) <= 2 else fold(word)


def words(text: str) -> list[str]:
    """The words of `text` as written; numbers left out (the quantity check owns them)."""
    return [word for word in _WORD.findall(text) if not word[0].isdigit()]


# Pronouns written onto an infinitive or gerund ("usarse", "iniciarla", "administrándolo"):
# simplemma leaves such forms as they are, so they are taken off first.
_PARTICIPLE = re.compile(r"(?P<root>\w{3,}?)(?P<vowel>[ai])d(?:o|a|os|as)")
_ENCLITIC = re.compile(r"(?P<verb>\w+?(?:ar|er|ir|ando|iendo))(?:se|la|lo|las|los|le|les|me|nos)+")
_UNACCENT = str.maketrans("áéí", "aei")


@lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    lowered = word.casefold()
    found = str(simplemma.lemmatize(lowered, lang="es"))
    if found == lowered and (match := _ENCLITIC.fullmatch(lowered.translate(_UNACCENT))):
        return str(simplemma.lemmatize(match.group("verb"), lang="es"))
    return found


# A lower-case word of Spanish letters only is its own single token for wordfreq, so its
# frequency is read from wordfreq's table and rounded as `zipf_frequency` rounds it; that
# function tokenises its argument first, tens of microseconds a word. Same values
# (tests/contracts/test_grounding_cost.py); anything else goes through wordfreq itself.
_PLAIN_WORD = re.compile(r"[a-zñáéíóúü]+")
_MIN_FREQUENCY = zipf_to_freq(0)


@cache
def _frequencies() -> dict[str, float]:
    # The arguments exactly as wordfreq passes them itself, so its cache holds one table.
    return get_frequency_dict("es", "best")


def zipf_es(word: str) -> float:
    """`wordfreq.zipf_frequency(word, "es")`, without tokenising a plain lower-case word."""
    if not _PLAIN_WORD.fullmatch(word):
        return zipf_frequency(word, "es")
    frequency = _frequencies().get(word)
    if frequency is None:
        return round(math.log(_MIN_FREQUENCY, 10) + 9, 2)
    frequency = max(frequency, _MIN_FREQUENCY)
    frequency = round(frequency, math.floor(-math.log(frequency, 10)) + 3)
    return round(math.log(frequency, 10) + 9, 2)


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """Frequency of a word in general Spanish, or of its lemma when that is higher."""
    lowered = word.casefold()
    return max(zipf_es(lowered), zipf_es(lemma(lowered)))


@lru_cache(maxsize=65536)
def _stem(form: str) -> frozenset[str]:
    forms = {form}
    if len(form) > 4 and form.endswith("es"):
        forms.add(form[:-2])
    if len(form) > 3 and form.endswith("s"):
        forms.add(form[:-1])
    # The stemmer reads accents, so fold after stemming.
    return frozenset(_stem_word(f) for f in forms)


@lru_cache(maxsize=65536)
def _stem_word(form: str) -> str:
    # A word, its lemma and their singulars share variants ("tratamientos" / "tratamiento"):
    # each is stemmed once (Snowball in pure Python costs tens of microseconds a word).
    return fold(_stemmer().stemWord(form))


@lru_cache(maxsize=65536)
def forms(word: str) -> frozenset[str]:
    """Every form a word is compared by: folded, lemma, stems, the -sis/-tico root."""
    lowered = word.casefold()
    lemma_ = lemma(lowered)
    result = {fold(lowered), fold(lemma_)} | _stem(lowered) | _stem(lemma_)
    for form in list(result):
        if form.endswith("sis") and len(form) - 3 >= _MIN_ROOT:
            result.add(form[:-3] + "t")  # trombolisis -> trombolit (= stem of trombolitica)
    return frozenset(result | {_fusion(form) for form in result})


def _fusion(form: str) -> str:
    # -fundir / -fusión (transfunde ~ transfusión, perfunde ~ perfusión, infundir ~ infusión)
    # and -nder / -nsión (suspende ~ suspensión, extender ~ extensión).
    if form.endswith("fund"):
        return form[:-4] + "fus"
    return form[:-2] + "ns" if form.endswith("nd") else form


@lru_cache(maxsize=65536)
def _prefixes(word: str) -> tuple[tuple[str, int], ...]:
    """(prefix, stem length) for every prefix of 4+ letters of the word's stems."""
    stems = {_fusion(s) for s in _stem(lemma(word.casefold())) | _stem(word.casefold())}
    return tuple((stem[:end], len(stem)) for stem in stems for end in range(_MIN_ROOT, len(stem) + 1))


@lru_cache(maxsize=65536)
def key(word: str) -> str:
    """One form per word, for measuring overlap between a claim and a sentence."""
    if _is_abbreviation(word):
        return fold(word)
    stem = min(_stem(lemma(word.casefold())), key=len)
    if len(stem) > 6 and stem.endswith("ion"):
        stem = stem[:-3]  # "suspension" (Snowball keeps -ión here) -> "suspens"
    return _fusion(stem)


@lru_cache(maxsize=65536)
def _is_abbreviation(word: str) -> bool:
    if _ROMAN.fullmatch(word):
        return False
    if _abbreviation_key(word) in abbreviation_table():
        return True
    if not _ABBREVIATION_SHAPE.fullmatch(word):
        return False
    # A common word in capitals is emphasis ("NO administrar", "NUNCA"), not an abbreviation.
    return not (word.isupper() and zipf_es(word.casefold()) >= _EMPHASIS_MIN_ZIPF)


def _rare_word(word: str, *, min_length: int, max_zipf: float) -> bool:
    """A word rarer than `max_zipf`, at least `min_length` letters long, and neither a unit nor
    a number word (quantities are compared as quantities): where `is_term` and `is_content`
    start for a word that is not an abbreviation."""
    folded = fold(word)
    if folded in UNIT_SPELLINGS or folded in NUMBER_WORDS or len(folded) < min_length:
        return False
    return zipf(word) < max_zipf


@lru_cache(maxsize=65536)
def is_term(word: str) -> bool:
    """Does this word name something (a drug, test, finding) that must come from the context?"""
    if _is_abbreviation(word):
        return True
    if not _rare_word(word, min_length=2, max_zipf=TERM_MAX_ZIPF) or fold(word).endswith("mente"):
        return False
    return not is_verb(word) and not is_participle(word)


@lru_cache(maxsize=65536)
def is_verb(word: str) -> bool:
    """Is the word a verb form ("perfunde", "replantean", "retrasar", "sedada")? A drug, test
    or finding is named by a noun or an adjective, never by a verb. A verb's lemma is an
    infinitive that some of its own conjugated forms lemmatise back to ("estratificar" ←
    "estratifica"); an adjective in -ar ("auricular", "lumbar") has no such forms."""
    infinitive = lemma(word)
    participle = _PARTICIPLE.fullmatch(fold(word))
    if participle is not None and infinitive == word.casefold():
        # "sedada": simplemma gives the participle itself; try its infinitive.
        infinitive = participle.group("root") + ("ar" if participle.group("vowel") == "a" else "ir")
    return _is_infinitive(infinitive)


@lru_cache(maxsize=65536)
def is_participle(word: str) -> bool:
    """Is the word a participle ("guiados", "recaída", "perfundido")? simplemma gives the
    participle or its masculine singular; -ado is an -ar verb's, -ido / -ída an -er or an
    -ir verb's. Not a term (a verb form), but kept apart from `is_verb`: "no complicada"
    is a name, not a negated verb, for the polarity check."""
    participle = _PARTICIPLE.fullmatch(fold(lemma(word)))
    if participle is None:
        return False
    endings = ("ar",) if participle.group("vowel") == "a" else ("er", "ir")
    return any(_is_infinitive(participle.group("root") + ending) for ending in endings)


def _is_infinitive(infinitive: str) -> bool:
    ending = fold(infinitive)[-2:]
    if ending not in ("ar", "er", "ir") or len(infinitive) < 4:
        return False
    root = infinitive[:-2]
    endings = ("a", "an") if ending == "ar" else ("e", "en")
    return any(lemma(root + end) == infinitive for end in endings)


@lru_cache(maxsize=65536)
def is_content(word: str) -> bool:
    """Does this word carry content for aligning a claim with a sentence?"""
    return _is_abbreviation(word) or _rare_word(word, min_length=3, max_zipf=FUNCTION_MIN_ZIPF)


# A name completed by a capital letter: "vitamina D", "hepatitis B", "factor V", "grado A".
_DESIGNATED = re.compile(r"\b([^\W\d_]{3,})\s+([A-Z])\b(?![.'’]?\w)")


def designated_names(text: str) -> set[str]:
    """Names made of a word and a capital letter ("vitamina D"): the letter makes a different
    drug or finding of an ordinary word, so the pair is a term ("vitamina K" does not support
    "vitamina D"). Folded as "<word's key> <letter>"."""
    return {
        f"{key(word)} {letter}"
        for word, letter in _DESIGNATED.findall(text)
        if not word.isupper() and is_content(word) and not is_verb(word)  # not "con K", "tiene K"
    }


def defined_abbreviations(text: str) -> list[tuple[str, str]]:
    """(abbreviation, expansion) pairs the text defines: "fibrilación auricular (FA)"."""
    pairs = []
    for match in _DEFINED_AFTER.finditer(text):
        abbreviation = match.group(1)
        before = [w for w in words(text[max(0, match.start() - 80) : match.start()]) if w.isalpha()]
        letters = sum(ch.isupper() for ch in abbreviation) or 1
        if before:
            pairs.append((abbreviation, " ".join(before[-(letters + 2) :])))
    for match in _DEFINED_BEFORE.finditer(text):
        pairs.append((match.group(1), match.group(2)))
    return pairs


# Medical word formation (general, not tied to any guideline): a graded prefix, and the
# blood/urine level of an analyte; the Latin roots are those of the element symbols.
_GRADED = re.compile(r"^(?:hiper|hipo|normo)")
_MIN_BASE = 5
_LEVEL = re.compile(r"(?P<root>[a-z]+?)(?:emia|uria)")
_LATIN_ROOTS = {"natr": "sodi", "kal": "potas", "ferr": "hierr"}


# A slash between two words, neither of them a unit ("LCR/sangre", not "mg/dL").
_WORD_RATIO = re.compile(r"([^\W\d_]{2,})\s?/\s?([^\W\d_]{2,})")
RATIO_WORDS: tuple[str, ...] = ("cociente", "razón", "ratio")


def writes_a_ratio(text: str) -> bool:
    """Does the text write a ratio of two things with a slash ("glucosa LCR/sangre")?"""
    return any(
        fold(left) not in UNIT_SPELLINGS and fold(right) not in UNIT_SPELLINGS
        for left, right in _WORD_RATIO.findall(text)
    )


class Vocabulary:
    """The words of some texts, indexed for the question "do they support this word?"."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.forms: set[str] = set()
        self.prefixes: dict[str, int] = {}  # prefix of a stem -> shortest stem having it
        self.defined: dict[str, list[str]] = {}  # abbreviation key -> expansions the texts define
        texts = list(texts)
        written: set[str] = set()
        for text in texts:
            if writes_a_ratio(text):
                for word in RATIO_WORDS:
                    self._add(word)
            for word in set(words(text)):
                self._add(word)
                if _is_abbreviation(word):
                    written.add(_abbreviation_key(word))
            for abbreviation, expansion in defined_abbreviations(text):
                self.defined.setdefault(_abbreviation_key(abbreviation), []).append(expansion)
        # A claim may spell out an abbreviation the texts use ("potasio" for "K").
        table = abbreviation_table()
        for abbreviation in written:
            for expansion in table.get(abbreviation, ()):
                for word in words(expansion):
                    self._add(word)

    def _add(self, word: str) -> None:
        self.forms.add("=" + _abbreviation_key(word))
        self.forms.update(forms(word))
        for prefix, length in _prefixes(word):
            if length < self.prefixes.get(prefix, 1 << 30):
                self.prefixes[prefix] = length

    def supports(self, word: str) -> bool:
        if _is_abbreviation(word):
            abbreviation = _abbreviation_key(word)
            if "=" + abbreviation in self.forms:
                return True
            # ...or abbreviate what the texts spell out ("TA" for "tensión arterial").
            expansions = [*abbreviation_table().get(abbreviation, ()), *self.defined.get(abbreviation, ())]
            return any(all(self._supports_word(w) for w in words(expansion)) for expansion in expansions)
        return self._supports_word(word)

    def _supports_word(self, word: str) -> bool:
        if self._supports_form(word):
            return True
        # hiper-/hipo-/normo- + X names a level of X ("hipertensión" / "tensión"), and
        # analyte + -emia/-uria its level in blood or urine ("potasemia" / "potasio",
        # "hiponatremia" / "sodio" through the Latin root): supported when X is.
        # Only graded: "leucemia" is a disease, not the level of "leucocitos".
        base = _GRADED.sub("", fold(word))
        if base == fold(word) or len(base) < _MIN_BASE:
            return False
        if self._supports_form(base):
            return True
        level = _LEVEL.fullmatch(base)
        if level is None:
            return False
        root = _LATIN_ROOTS.get(level.group("root"), level.group("root"))
        return len(root) >= _MIN_ROOT and root in self.prefixes

    def _supports_form(self, word: str) -> bool:
        if not self.forms.isdisjoint(forms(word)):
            return True
        for stem in {_fusion(s) for s in _stem(lemma(word.casefold())) | _stem(word.casefold())}:
            for end in range(len(stem), _MIN_ROOT - 1, -1):
                shortest = self.prefixes.get(stem[:end])
                if shortest is not None and end >= _DERIVATION_SHARE * min(len(stem), shortest):
                    return True
        return False
