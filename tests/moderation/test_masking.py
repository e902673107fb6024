"""The masking rules of the public copy, table-driven in the five languages: what is masked
(true positives) and what must stay (near misses: street numbers, dates, references, postal
and INSEE codes); and a property: whatever the text, the public copy holds none of the masked
patterns."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from service.masking import (
    ARABIC_CIVILITY_NAME,
    CIVILITY_NAME,
    DIGIT_GROUPS,
    EMAIL_IN_TEXT,
    IBAN_CANDIDATE,
    NIR_CANDIDATE,
    PHONE_IN_TEXT,
    PLATE_FNI,
    PLATE_SIV,
    iban_valid,
    luhn_valid,
    mask_personal_data,
    nir_valid,
)

# (language, text, the text as the public reads it)
MASKED = [
    # number plates
    (
        "fr",
        "La voiture AB-123-CD est garée sur le trottoir.",
        "La voiture […] est garée sur le trottoir.",
    ),
    ("fr", "Immatriculée ab-123-cd depuis hier", "Immatriculée […] depuis hier"),
    ("fr", "Camion EF 456 GH devant l'école", "Camion […] devant l'école"),
    ("fr", "plaque EF456GH", "plaque […]"),
    ("fr", "vieille 205 immatriculée 1234 AB 49", "vieille 205 immatriculée […]"),
    ("fr", "la 4L 123ABC49 abandonnée", "la 4L […] abandonnée"),
    ("en", "A van with plate AB-123-CD blocks the path", "A van with plate […] blocks the path"),
    (
        "es",
        "El coche con matrícula 1234 AB 49 está abandonado",
        "El coche con matrícula […] está abandonado",
    ),
    (
        "de",
        "Das Auto mit dem Kennzeichen AB-123-CD parkt falsch",
        "Das Auto mit dem Kennzeichen […] parkt falsch",
    ),
    ("ar", "السيارة AB-123-CD متوقفة على الرصيف", "السيارة […] متوقفة على الرصيف"),
    # IBANs (mod-97 checked)
    (
        "fr",
        "Remboursez-moi sur FR76 3000 6000 0112 3456 7890 189 merci",
        "Remboursez-moi sur […] merci",
    ),
    ("en", "my IBAN is FR7630006000011234567890189.", "my IBAN is […]."),
    ("de", "IBAN DE89 3704 0044 0532 0130 00 bitte", "IBAN […] bitte"),
    ("es", "cuenta ES91 2100 0418 4502 0005 1332", "cuenta […]"),
    # NIR (key checked)
    (
        "fr",
        "mon numéro de sécu 1 85 05 78 006 084 91 pour le dossier",
        "mon numéro de sécu […] pour le dossier",
    ),
    ("fr", "NIR 185057800608491", "NIR […]"),
    ("fr", "sécu 2 69 05 2A 004 123 14", "sécu […]"),
    # payment cards (Luhn checked)
    (
        "fr",
        "J'ai payé avec la carte 4111 1111 1111 1111 au parcmètre",
        "J'ai payé avec la carte […] au parcmètre",
    ),
    ("en", "card 4111-1111-1111-1111 was charged twice", "card […] was charged twice"),
    ("es", "tarjeta 5500005555555559", "tarjeta […]"),
    ("fr", "carte 4111 1111 1111 1111 12 rue Lenepveu", "carte […] 12 rue Lenepveu"),
    # names after a civility, the civility kept
    ("fr", "M. Dupont laisse ses poubelles dehors", "M. […] laisse ses poubelles dehors"),
    ("fr", "Madame Marie Martin a appelé", "Madame […] a appelé"),
    ("fr", "Mme Durand et Mlle Petit", "Mme […] et Mlle […]"),
    ("fr", "c'est Monsieur DUPONT du 3e", "c'est Monsieur […] du 3e"),
    (
        "en",
        "Mr Smith's dog barks all night, Mrs Jones agrees",
        "Mr […] dog barks all night, Mrs […] agrees",
    ),
    (
        "es",
        "El Sr. García tira basura, la Sra. López también",
        "El Sr. […] tira basura, la Sra. […] también",
    ),
    ("de", "Herr Müller und Frau Schmidt parken hier", "Herr […] und Frau […] parken hier"),
    ("ar", "السيد أحمد يرمي القمامة", "السيد […] القمامة"),
    ("ar", "السيدة فاطمة", "السيدة […]"),
    # what was masked before: e-mails and phones
    ("fr", "écrivez à jean.dupont@example.org ou au 06 12 34 56 78", "écrivez à […] ou au […]"),
    ("en", "call +33 6 12 34 56 78", "call […]"),
]

KEPT = [
    # street numbers, addresses
    ("fr", "devant le 123 de la rue Lenepveu"),
    ("fr", "au 12 bis rue Saint-Aubin, 49100 Angers"),
    ("en", "at 45 Baker Street, flat 2B"),
    ("es", "en la calle Mayor 123, 3º B"),
    ("de", "vor der Hausnummer 17a in der Bahnhofstraße"),
    ("ar", "أمام المبنى رقم 123 في الشارع"),
    # dates and times
    ("fr", "depuis le 12/05/2026 à 18h30"),
    ("en", "since 2026-05-12, every night at 11 pm"),
    ("de", "seit dem 12.05.2026"),
    ("es", "desde el 12 de mayo de 2026"),
    # references of this service, postal and INSEE codes
    ("fr", "c'est le même que ALM-2026-004217"),
    ("fr", "commune INSEE 49007, code postal 49000"),
    ("en", "reference ALM-2026-000042, postcode 49100"),
    # other numbers: a meter, an invoice, a number failing its checksum
    ("fr", "compteur n° 123456789, facture 2026-00042"),
    ("fr", "carte 4111 1111 1111 1112 refusée"),
    ("fr", "numéro 1 85 05 78 006 084 36"),
    ("fr", "FR76 3000 6000 0112 3456 7890 188"),
    # civilities without a name, and words that look like one
    ("fr", "Monsieur le maire, Madame la présidente"),
    ("fr", "M. le directeur des services techniques"),
    ("en", "Mr and Mrs should read the sign"),
    ("es", "el señor de la tienda"),
    ("de", "die Frau vom Kiosk"),
    # lower-case words with spaces are not plates
    ("fr", "le 123 de la rue"),
    ("fr", "Bus 12 ligne 3, arrêt 45"),
]


@pytest.mark.parametrize(("language", "text", "public"), MASKED)
def test_personal_data_is_masked_in_the_public_copy(language: str, text: str, public: str) -> None:
    # given a resident's text holding someone's personal data (in `language`)
    # when it is copied for the public
    masked = mask_personal_data(text)
    # then the personal data is gone, the rest reads as written
    assert masked == public, language


@pytest.mark.parametrize(("language", "text"), KEPT)
def test_near_misses_stay_as_written(language: str, text: str) -> None:
    # given a text with numbers and words that are not personal data
    # when it is copied for the public
    masked = mask_personal_data(text)
    # then nothing is masked
    assert masked == text, language


def test_the_checksums_are_the_published_ones() -> None:
    # given well-known valid and invalid numbers / when checked / then
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("GB82 WEST 1234 5698 7654 32") and not iban_valid(
        "GB82 WEST 1234 5698 7654 33"
    )
    assert nir_valid("1 85 05 78 006 084 91") and not nir_valid("1 85 05 78 006 084 36")


# A civility is a word of its own: not preceded by a letter, a digit, « _ » or « . ».
NAMES = re.compile(r"(?<![\w.])" + CIVILITY_NAME.pattern)


def _leftovers(text: str) -> list[str]:
    """Whatever in the text still reads as personal data, by every rule."""
    found: list[str] = []
    for pattern in (EMAIL_IN_TEXT, PHONE_IN_TEXT, PLATE_SIV, PLATE_FNI):
        found += [m.group(0) for m in pattern.finditer(text)]
    found += [m.group(0) for m in IBAN_CANDIDATE.finditer(text) if iban_valid(m.group(0))]
    found += [m.group(0) for m in NIR_CANDIDATE.finditer(text) if nir_valid(m.group(0))]
    found += [m.group(0) for m in NAMES.finditer(text) if m.group("name")[0].isupper()]
    found += [m.group(0) for m in ARABIC_CIVILITY_NAME.finditer(text)]
    for run in DIGIT_GROUPS.finditer(text):
        groups = re.findall(r"\d+", run.group(0))
        found += [
            "".join(groups[i:j])
            for i in range(len(groups))
            for j in range(i + 1, len(groups) + 1)
            if 13 <= len("".join(groups[i:j])) <= 19 and luhn_valid("".join(groups[i:j]))
        ]
    return found


PIECES = st.sampled_from(
    [
        "AB-123-CD",
        "ab-123-cd",
        "1234 AB 49",
        "FR76 3000 6000 0112 3456 7890 189",
        "1 85 05 78 006 084 91",
        "4111 1111 1111 1111",
        "M. Dupont",
        "Madame Martin",
        "Mrs Jones",
        "Sra. López",
        "Herr Müller",
        "السيد أحمد",
        "jean@example.org",
        "06 12 34 56 78",
        "+33 6 12 34 56 78",
        "12",
        "rue",
        "49100",
        "ALM-2026-004217",
        "-",
        ".",
        "@",
        "M.",
        "AMr",
        "CD",
        " ",
        "\n",
    ]
)
TEXTS = st.lists(st.one_of(PIECES, st.text(max_size=12)), max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(TEXTS)
@example("AB-123-CDM. Dupont M. Dupont")  # a refused civility overlapping a real one
@example("Monsieur le M. Dupont")
def test_whatever_the_text_the_public_copy_holds_none_of_the_masked_patterns(text: str) -> None:
    # given any text, made of personal data, near misses and anything else
    # when it is copied for the public
    masked = mask_personal_data(text)
    # then nothing in the copy reads as personal data, and masking it again changes nothing
    assert _leftovers(masked) == []
    assert mask_personal_data(masked) == masked
