"""Text analysis per language: what a word becomes in the index and in a query.

French is the reference language: lower case, elision (``l'éclairage`` -> ``éclairage``),
accent folding *before* stop words and stemming (so ``eclairage`` typed without accents and
``éclairages`` in the plural meet on the same stem), then the Snowball stemmer. English,
Spanish and German follow the same chain with their stop words and stemmers; Arabic is
normalised (diacritics, tatweel, alef/yeh/teh marbuta variants) and lightly stemmed.

Analysis never raises, whatever the text: each step that rewrites a word is guarded per word
(a word a step cannot rewrite is kept as it was), so a report in any language can always be
indexed, and the same text gives the same words when it is indexed and when it is searched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import cache, lru_cache, partial
from typing import Any

from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
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


# The filters' class names (and ``light_arabic_stem``) are pickled in the schema of whoosh
# indexes written before words were analysed here (see engine.py): keep them, or such an
# index no longer opens.


class _WordFilter(Filter):  # type: ignore[misc]
    """A step that rewrites each word: a word it fails to rewrite is kept as it was (the same
    on the document and the query side, so the word is still found); an empty result drops
    the word."""

    def rewrite(self, text: str) -> str:
        raise NotImplementedError

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        for token in tokens:
            try:
                text = self.rewrite(token.text)
            except Exception:  # one odd word must not stop a whole text
                text = token.text
            if text:
                token.text = text
                yield token


class ElisionFilter(_WordFilter):
    """French elision: ``l'éclairage`` -> ``éclairage``, ``qu'il`` -> ``il``."""

    def rewrite(self, text: str) -> str:
        # What remains after a non-French apostrophe ("o'neill") is one word.
        return _APOSTROPHE.sub("", _ELIDED.sub("", text))


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


class ArabicNormalizeFilter(_WordFilter):
    def rewrite(self, text: str) -> str:
        return normalize_arabic(text)


def _stem_or_keep(stem: Callable[[str], str], word: str) -> str:
    """The stem of a word, or the word itself when the stemmer fails on it (whoosh's
    Spanish stemmer raises IndexError on « bgue », any word with no vowel before a final
    « gue ») or leaves nothing of it."""
    try:
        found = stem(word)
    except Exception:  # a stemmer's bug on one word; the word stays findable
        return word
    return found if isinstance(found, str) and found else word


STEM_CACHE_WORDS = 50_000


class GuardedStemFilter(Filter):  # type: ignore[misc]
    """Stems each word (not stop words) with a cache, and never raises.

    Replaces whoosh's ``StemFilter``, whose cache (``lfu_cache``) counts a word even when the
    stemmer raised on it without storing a stem: once full, its eviction deletes that word
    from the stems and raises KeyError, and then does so for every new word until the process
    restarts (nor is it safe between threads: searches and the indexer share analyzers). Here
    the stemmer is guarded per word before ``functools.lru_cache`` sees it: the cache only
    ever stores results, and it is thread-safe."""

    def __init__(self, stem: Callable[[str], str], cache_words: int = STEM_CACHE_WORDS) -> None:
        self._stem = lru_cache(maxsize=cache_words)(partial(_stem_or_keep, stem))

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        stem = self._stem
        for token in tokens:
            if not token.stopped:
                token.text = stem(token.text)
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
            | GuardedStemFilter(light_arabic_stem)
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
        | GuardedStemFilter(_stemmer(language))
    )


class _ApostropheSplitter(_WordFilter):
    """Outside French an apostrophe joins one word ("don't", "o'clock"): drop it."""

    def rewrite(self, text: str) -> str:
        return _APOSTROPHE.sub("", text)


class _GermanFolding(_WordFilter):
    """ß and ligatures, which accent folding leaves alone."""

    def rewrite(self, text: str) -> str:
        if "ß" in text or "œ" in text or "æ" in text:
            return text.replace("ß", "ss").replace("œ", "oe").replace("æ", "ae")
        return text


def terms(language: str, text: str) -> list[str]:
    """The index terms of a text in a language (tests and the query builder use it)."""
    return [token.text for token in analyzer(language)(text)]


def words(text: str) -> list[str]:
    """The words a person typed, hyphenated names split: "rue Saint-Aubin" -> 3 words."""
    return [part for word in WORD.findall(text) for part in word.split("_") if part]
