"""Text analysis per language: what a word becomes in the index and in a query.

French is the reference language: lower case, elision (``l'éclairage`` -> ``éclairage``),
accent folding *before* stop words and stemming (so ``eclairage`` typed without accents and
``éclairages`` in the plural meet on the same stem), then the Snowball stemmer. English,
Spanish and German follow the same chain with their stop words and stemmers; Arabic is
normalised (diacritics, tatweel, alef/yeh/teh marbuta variants) and stemmed with ISRI.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.lang import stemmer_for_language, stopwords_for_language
from whoosh.support.charset import accent_map

LANGUAGES = ("fr", "en", "es", "de", "ar")
DEFAULT_LANGUAGE = "fr"

# Words, with inner apostrophes and hyphens split later: "l'éclairage", "Saint-Aubin".
WORD = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)
_ELIDED = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)['’]", re.UNICODE)
_APOSTROPHE = re.compile(r"['’]")


class ElisionFilter(Filter):  # type: ignore[misc]
    """French elision: ``l'éclairage`` -> ``éclairage``, ``qu'il`` -> ``il``."""

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        for token in tokens:
            text = _ELIDED.sub("", token.text)
            # What remains after a non-French apostrophe ("o'neill") is one word.
            token.text = _APOSTROPHE.sub("", text)
            if token.text:
                yield token


class MinimumLengthFilter(Filter):  # type: ignore[misc]
    def __init__(self, minimum: int = 2) -> None:
        self.minimum = minimum

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        for token in tokens:
            if len(token.text) >= self.minimum:
                yield token


_ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})


# whoosh ships no Arabic stop words: the commonest particles and pronouns.
ARABIC_STOP_WORDS = (
    "في من على الى إلى عن مع هذا هذه ذلك تلك التي الذي الذين هو هي هم نحن انا أنا انت أنت "
    "كان كانت يكون ما لا لم لن ان أن إن او أو ثم قد كل بعد قبل عند حتى بين غير هناك هنا و"
).split()


def normalize_arabic(text: str) -> str:
    """Remove short vowels and tatweel; unify alef, yeh and teh marbuta spellings."""
    return _ARABIC_DIACRITICS.sub("", text).translate(_ARABIC_LETTERS)


_AR_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال", "و")
_AR_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ية", "ه", "ي")


def light_arabic_stem(word: str) -> str:
    """A light stemmer (articles, conjunction, common plural and gender endings), the usual
    choice for search: whoosh's ISRI stemmer fails on Python 3.11 (a bad regex escape)."""
    for prefix in _AR_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            word = word[len(prefix) :]
            break
    for suffix in _AR_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word


class ArabicNormalizeFilter(Filter):  # type: ignore[misc]
    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        for token in tokens:
            token.text = normalize_arabic(token.text)
            if token.text:
                yield token


def fold(text: str) -> str:
    """Lower case without accents (ß -> ss, œ -> oe): how stop words are compared."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return folded.replace("œ", "oe").replace("æ", "ae")


def _stemmer(language: str) -> Callable[[str], str]:
    stem: Callable[[str], str] = stemmer_for_language(language)
    return stem


@cache
def analyzer(language: str) -> Analyzer:
    """The analyzer of a language (unknown languages get the French one)."""
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    chain = RegexTokenizer(WORD) | LowercaseFilter()
    if language == "fr":
        chain = chain | ElisionFilter()
    else:
        chain = chain | _ApostropheSplitter()
    if language == "ar":
        stop = frozenset(normalize_arabic(w) for w in ARABIC_STOP_WORDS)
        return (
            chain
            | ArabicNormalizeFilter()
            | StopFilter(stoplist=stop, minsize=2)
            | StemFilter(stemfn=light_arabic_stem, cachesize=50000)
        )
    stop = frozenset(fold(w) for w in stopwords_for_language(language))
    if language == "fr":
        # Words a resident types in most reports: too common to tell them apart.
        stop |= {"a", "ca", "cela", "cet", "etre", "fait", "plus", "tres", "si", "y"}
    return (
        chain
        | _GermanFolding()
        | CharsetFilter(accent_map)
        | StopFilter(stoplist=stop, minsize=2)
        | StemFilter(stemfn=_stemmer(language), cachesize=50000)
    )


class _ApostropheSplitter(Filter):  # type: ignore[misc]
    """Outside French an apostrophe joins one word ("don't", "o'clock"): drop it."""

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        for token in tokens:
            token.text = _APOSTROPHE.sub("", token.text)
            if token.text:
                yield token


class _GermanFolding(Filter):  # type: ignore[misc]
    """ß and ligatures, which accent folding leaves alone."""

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        for token in tokens:
            text = token.text
            if "ß" in text or "œ" in text or "æ" in text:
                token.text = text.replace("ß", "ss").replace("œ", "oe").replace("æ", "ae")
            yield token


def terms(language: str, text: str) -> list[str]:
    """The index terms of a text in a language (tests and the query builder use it)."""
    return [token.text for token in analyzer(language)(text)]


def words(text: str) -> list[str]:
    """The words a person typed, hyphenated names split: "rue Saint-Aubin" -> 3 words."""
    return [part for word in WORD.findall(text) for part in word.split("_") if part]
