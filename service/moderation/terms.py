"""Pre-moderation: the words and phrases that hold an item's public text until staff decide.

An item whose text holds one of them is still stored, routed and handled: only its public
text waits (``Moderation.HELD``). The list is deliberately short and unambiguous (insults,
slurs, threats) in the five languages, matched on whole words after folding case and
accents, with a few letters of inflection (« crétins », « idiota »): a held text costs a
resident a delay, a published insult costs the collectivity more.

A deployment extends it with ``SERVICE_MODERATION_TERMS_FILE``: a JSON object whose ``"*"``
list applies to every body and whose other keys are body codes (``"mairie-49007"``), each a
list of words or phrases added for the items that body handles.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_TERMS: dict[str, tuple[str, ...]] = {
    "fr": (
        "connard",
        "connasse",
        "crétin",
        "abruti",
        "enculé",
        "salope",
        "salaud",
        "pute",
        "fils de pute",
        "pétasse",
        "enfoiré",
        "ta gueule",
        "ferme ta gueule",
        "nique ta mère",
        "va te faire foutre",
        "bougnoule",
        "youpin",
        "sale nègre",
        "pédé",
        "je vais te tuer",
        "je vais vous tuer",
        "je vais le tuer",
        "je vais la tuer",
        "on va vous crever",
    ),
    "en": (
        "asshole",
        "bastard",
        "bitch",
        "cunt",
        "dickhead",
        "fuck you",
        "fucking",
        "motherfucker",
        "moron",
        "i will kill you",
        "i'll kill you",
    ),
    "es": (
        "gilipollas",
        "cabrón",
        "hijo de puta",
        "puta",
        "pendejo",
        "imbécil",
        "maricón",
        "subnormal",
        "te voy a matar",
        "os voy a matar",
    ),
    "de": (
        "arschloch",
        "wichser",
        "hurensohn",
        "fotze",
        "schlampe",
        "vollidiot",
        "missgeburt",
        "fick dich",
        "ich bring dich um",
        "ich bringe dich um",
    ),
    "ar": (
        "يا حمار",
        "يا كلب",
        "ابن الكلب",
        "ابن كلب",
        "يا غبي",
        "حقير",
        "شرموطة",
        "عاهرة",
        "ابن العاهرة",
        "سأقتلك",
        "سوف أقتلك",
    ),
}
# Endings after a listed word still match it (plurals, gender, German cases): « crétines »,
# « idiotas », « Fotzen »; not any letters (« puta » must not hold « putain »).
ENDINGS = ("e", "s", "es", "x", "a", "as", "n", "en", "er")
_WORD = re.compile(r"\w+")
_MARKS = re.compile("[\u0300-\u036f\u0640\u064b-\u065f\u0670]")


def fold(text: str) -> str:
    """Lower case, without accents (« Crétin » and « cretin » read alike); Arabic is kept
    whole but for its short vowels and tatweel, which people write or leave out."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return unicodedata.normalize("NFC", _MARKS.sub("", decomposed))


class Lexicon:
    """Words and phrases, looked up word by word (a set lookup per word of the text, not a
    pattern of every term tried at every position: the check costs the same with 70 terms
    or 7,000). A phrase's last word may take one of ``ENDINGS``."""

    def __init__(self, terms: Iterable[str]) -> None:
        self.by_first: dict[str, list[tuple[str, ...]]] = {}
        for term in terms:
            words = tuple(_WORD.findall(fold(term)))
            if words:
                self.by_first.setdefault(words[0], []).append(words[1:])
        # Every form of every one-word term, endings included: one set intersection finds
        # them in a text (a few hundred strings).
        self.forms = {
            word + ending: word
            for word, rests in self.by_first.items()
            if () in rests
            for ending in ("", *ENDINGS)
        }
        self.phrase_starts = frozenset(w for w, rests in self.by_first.items() if rests != [()])

    def __bool__(self) -> bool:
        return bool(self.by_first)

    def found(self, words: list[str]) -> str | None:
        """A word or phrase the words hold, or None: set intersections first (most texts
        hold no listed word at all), then the phrases that start with a word found."""
        present = set(words)
        inflected = self.forms.keys() & present
        if inflected:
            return min(inflected)
        for first in sorted(self.phrase_starts & present):
            for i, word in enumerate(words):
                if word == first:
                    for rest in self.by_first[first]:
                        if rest and _follows(words, i + 1, rest):
                            return " ".join((word, *rest))
        return None


def _follows(words: list[str], start: int, rest: tuple[str, ...]) -> bool:
    if not rest:
        return True
    found = words[start : start + len(rest)]
    if len(found) < len(rest) or found[:-1] != list(rest[:-1]):
        return False
    last, wanted = found[-1], rest[-1]
    return last == wanted or (last.startswith(wanted) and last[len(wanted) :] in ENDINGS)


@dataclass
class HeldTerms:
    """The shipped list, plus a deployment's additions for every body and per body."""

    extra_everywhere: tuple[str, ...] = ()
    extra_by_body: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    _base: Lexicon = field(init=False, repr=False)
    _by_body: dict[str, Lexicon] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        everyone = [t for terms in DEFAULT_TERMS.values() for t in terms]
        self._base = Lexicon([*everyone, *self.extra_everywhere])
        self._by_body = {body: Lexicon(terms) for body, terms in self.extra_by_body.items()}

    @classmethod
    def from_file(cls, path: Path | None) -> HeldTerms:
        """The shipped list with the additions of a JSON file (see the module's docstring)."""
        if path is None:
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not all(
            isinstance(v, list) and all(isinstance(t, str) for t in v) for v in data.values()
        ):
            raise ValueError(f"{path}: expected an object of lists of words")
        return cls(
            extra_everywhere=tuple(data.get("*", [])),
            extra_by_body={k: tuple(v) for k, v in data.items() if k != "*"},
        )

    def found(self, text: str, body_code: str) -> str | None:
        """The first held word or phrase in the text (folded), or None when it may be public."""
        if not text:
            return None
        words = _WORD.findall(fold(text))
        found = self._base.found(words)
        if found is None and (extra := self._by_body.get(body_code)):
            found = extra.found(words)
        return found


_active = HeldTerms()


def install(terms: HeldTerms) -> None:
    """Use these terms in this process (called once at start-up, from the settings)."""
    global _active
    _active = terms


def held_term(text: str, body_code: str) -> str | None:
    """The word or phrase that holds this text for the body, if one does."""
    return _active.found(text, body_code)
