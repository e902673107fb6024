"""Masking personal data in free text, for the public copy of what residents write.

Applied once, at write time, to the public copy (``Item.public_description``); the staff copy
stays whole. When these rules change, ``python -m service remask`` applies them again to every
stored public copy.

What is masked: e-mail addresses; phone numbers as the French write them; French number
plates (SIV ``AB-123-CD``, and the old ``1234 AB 49`` form); IBANs (mod-97 checked); French
social-security numbers (NIR, key checked); payment card numbers (Luhn checked); and a
person's name after a civility, in the five languages (``M. Dupont``, ``Mrs Smith``,
``Sra. García``, ``Herr Müller``, ``السيد أحمد``: the civility stays, the name goes).

What is not: street numbers, dates, item references, postal codes and INSEE codes. Checksums
keep ordinary numbers (an invoice, a meter) from being masked; where a form has no checksum
(plates, phones), masking a number that was not one is a smaller harm than publishing one
that was.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MASK = "[…]"

EMAIL_IN_TEXT = re.compile(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)+")
PHONE_IN_TEXT = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\s?\d{1,3}[\s.\-]?(?:\(0\)[\s.\-]?)?[1-9]|0[1-9])"
    r"(?:[\s.\-]?\d{2}){4}(?!\d)"
)
# SIV plates (since 2009): two letters, three digits, two letters; I, O and U are never used.
# With spaces or run together, only in capitals: « le 123 de la rue » is a street number.
_SIV_LETTERS = "A-HJ-NP-TV-Z"
_SIV_ANY_CASE = _SIV_LETTERS + _SIV_LETTERS.lower()
PLATE_SIV = re.compile(
    rf"(?<![\w-])(?:[{_SIV_ANY_CASE}]{{2}}-\d{{3}}-[{_SIV_ANY_CASE}]{{2}}"
    rf"|[{_SIV_LETTERS}]{{2}}[ ]?\d{{3}}[ ]?[{_SIV_LETTERS}]{{2}})(?![\w-])"
)
# FNI plates (before 2009): 1-4 digits, 1-3 capital letters, a département (01-95, 2A, 2B,
# 971-976). Capitals only: « 12 rue 49 » is not one.
PLATE_FNI = re.compile(
    r"(?<![\w-])\d{1,4}[ -]?[A-Z]{1,3}[ -]?(?:0[1-9]|[1-8]\d|9[0-5]|2A|2B|97[1-6])(?![\w-])"
)
# IBAN: country, check digits, then 11-30 letters or digits, often in groups of four.
IBAN_CANDIDATE = re.compile(
    r"(?<![\w])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?(?![\w])",
    re.IGNORECASE,
)
# NIR: sex, year, month, département (2A/2B in Corsica), commune, order number, key.
NIR_CANDIDATE = re.compile(
    r"(?<![\w])[1-478][ .]?\d{2}[ .]?(?:0[1-9]|1[0-2]|[2-9]\d)[ .]?(?:\d{2}|2A|2B)"
    r"[ .]?\d{3}[ .]?\d{3}[ .]?\d{2}(?![\w])",
    re.IGNORECASE,
)
# Cards: 13-19 digits, in groups or not; found among runs of digit groups (a card number
# followed by a street number is still a card number).
DIGIT_GROUPS = re.compile(r"(?<![\w])\d+(?:[ \-]\d+)*(?![\w])")
_GROUP = re.compile(r"\d+")

# A name after a civility. The civility stays; one or two capitalised words after it go
# (« Monsieur le maire » keeps « le maire »). Arabic has no capitals: the next one or two
# words after the civility go.
_CIVILITIES = (
    # fr
    r"M\.|MM\.|Mme\.?|Mmes\.?|Mlle\.?|Monsieur|Madame|Mademoiselle|Messieurs|Mesdames|"
    # en
    r"Mr\.?|Mrs\.?|Ms\.?|Miss|Mister|"
    # es
    r"Sr\.|Sra\.|Srta\.|Señor|Señora|Señorita|"
    # de
    r"Herr|Frau|Herrn"
)
_NAME_WORD = r"[^\W\d_][\w'’\-]*"
# (Written without a look-behind at its start, which would keep the regex engine from
# skipping ahead to the letters a civility starts with: ``_name`` checks what precedes.)
CIVILITY_NAME = re.compile(
    rf"(?P<civility>{_CIVILITIES})(?P<space>[ \t]+|(?<=\.))"
    rf"(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?)"
)
_ARABIC_WORD = r"[\u0621-\u064A\u0671-\u06D3]+"
ARABIC_CIVILITY_NAME = re.compile(
    rf"(?<![\w])(?P<civility>السيد|السيدة|الآنسة|السادة)(?P<space>\s+)"
    rf"(?P<name>{_ARABIC_WORD}(?:\s+{_ARABIC_WORD})?)"
)


def _digits(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", text)


def luhn_valid(number: str) -> bool:
    """Whether a string of digits passes the Luhn check (payment cards)."""
    total = 0
    for position, char in enumerate(reversed(number)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    """Whether a candidate is an IBAN (ISO 13616: mod 97 of the rearranged number is 1)."""
    compact = _digits(candidate).upper()
    if not 15 <= len(compact) <= 34 or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    return int(numeric) % 97 == 1


def nir_valid(candidate: str) -> bool:
    """Whether a candidate is a NIR: its key is 97 minus the number mod 97 (Corsica: 2A is
    read 19, 2B 18)."""
    compact = _digits(candidate).upper()
    if len(compact) != 15:
        return False
    body, key = compact[:13], compact[13:]
    body = body.replace("2A", "19", 1) if body[5:7] == "2A" else body
    body = body.replace("2B", "18", 1) if body[5:7] == "2B" else body
    if not body.isdigit() or not key.isdigit():
        return False
    return 97 - int(body) % 97 == int(key)


def _checked(valid: Callable[[str], bool]) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        return MASK if valid(match.group(0)) else match.group(0)

    return replace


_IBAN = _checked(iban_valid)
_NIR = _checked(nir_valid)


def _cards(match: re.Match[str]) -> str:
    """The run of digit groups with every card number in it masked (the longest first)."""
    run = match.group(0)
    if sum(c.isdigit() for c in run) < 13:
        return run  # nearly every run: a street number, a date, a postal code
    groups = [(g.start(), g.end()) for g in _GROUP.finditer(run)]
    pieces: list[str] = []
    position, start = 0, 0
    while start < len(groups):
        found = None
        for end in range(len(groups), start, -1):
            digits = "".join(run[a:b] for a, b in groups[start:end])
            if 13 <= len(digits) <= 19 and luhn_valid(digits):
                found = end
                break
        if found is None:
            start += 1
            continue
        pieces += [run[position : groups[start][0]], MASK]
        position = groups[found - 1][1]
        start = found
    return "".join(pieces) + run[position:]


def _mask_names(text: str) -> str:
    """The text with the name after each civility masked, the civility kept.

    A scan rather than ``sub``: a civility inside a word (« CDM. Untel ») or followed by no
    name (« Monsieur le maire ») is skipped one character on, so that a real one the refused
    match overlapped (« CDM. Untel M. Dupont ») is still found."""
    pieces: list[str] = []
    kept_until = search_from = 0
    while match := CIVILITY_NAME.search(text, search_from):
        start = match.start()
        if start and (text[start - 1].isalnum() or text[start - 1] in "._"):
            search_from = start + 1
            continue
        name, name_start = match.group("name"), match.start("name")
        words = name.split()
        # A name is capitalised; « Monsieur le maire » is not one. Only the capitalised words
        # from the first one on are taken (« M. Dupont a dit » masks Dupont alone).
        if not words[0][0].isupper():
            search_from = name_start
            continue
        masked = name if len(words) == 1 or words[1][0].isupper() else words[0]
        pieces += [text[kept_until:name_start], MASK]
        kept_until = search_from = name_start + len(masked)
    return "".join(pieces) + text[kept_until:]


def _arabic_name(match: re.Match[str]) -> str:
    return f"{match.group('civility')}{match.group('space')}{MASK}"


# Order matters: the long numbers first (a card or an IBAN holds what looks like a phone).
_DIGIT = re.compile(r"\d")


def _once(text: str) -> str:
    # Each rule needs something most texts lack (an @, a digit, 13 digits, Arabic letters):
    # looking for it first makes a plain text cost a few scans instead of every rule.
    if "@" in text:
        text = EMAIL_IN_TEXT.sub(MASK, text)
    # The fewest digits each form can have: an IBAN 10 or more, a phone 10, a NIR and a card
    # 13, a plate 3. A text with a street number and nothing else skips them all.
    digits = len(_DIGIT.findall(text))
    if digits >= 10:
        text = IBAN_CANDIDATE.sub(_IBAN, text)
        if digits >= 13:
            text = NIR_CANDIDATE.sub(_NIR, text)
            text = DIGIT_GROUPS.sub(_cards, text)
        text = PHONE_IN_TEXT.sub(MASK, text)
    if digits >= 3:
        text = PLATE_SIV.sub(MASK, text)
        text = PLATE_FNI.sub(MASK, text)
    text = _mask_names(text)
    if not text.isascii():
        text = ARABIC_CIVILITY_NAME.sub(_arabic_name, text)
    return text


def mask_personal_data(text: str) -> str:
    """The text with the personal data above replaced by « […] », for public views.

    Applied until nothing changes: a mask can bring two pieces of text together that only
    then read as a number (at most a few rounds; nearly every text takes one)."""
    for _ in range(5):
        masked = _once(text)
        if masked == text:
            return masked
        text = masked
    return text
