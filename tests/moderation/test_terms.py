"""The pre-moderation list, table-driven in the five languages: what holds a text (whole words,
any case or accents, with their endings; phrases) and what does not (words that contain or
resemble a listed one); and a deployment's additions, for every body and per body."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.moderation.terms import HeldTerms

HELD = [
    ("fr", "Espèce de CRÉTIN, réparez ça"),
    ("fr", "les crétines de la mairie"),
    ("fr", "ferme ta gueule"),
    ("fr", "l'abruti du 3e"),
    ("fr", "je vais te tuer"),
    ("en", "Fix it, you asshole"),
    ("en", "I'll kill you"),
    ("es", "Sois unos gilipollas"),
    ("es", "hijo de  puta"),
    ("de", "Ihr Arschlöcher"),
    ("de", "ich bring dich um"),
    ("ar", "يا حمار أصلح الطريق"),
    ("ar", "سأقتلك"),
]
PUBLIC = [
    ("fr", "Le bus est en retard tous les matins"),  # « retard » is not an insult in French
    ("fr", "Putain de nid-de-poule !"),  # swearing, not an insult to someone
    ("fr", "La computation du débit, la réputation du quartier"),
    ("fr", "Le conseil municipal et la concertation"),
    ("en", "The bass guitar shop, the scunthorpe bus"),
    ("es", "La computadora pública de la biblioteca"),
    ("de", "Die Fotografie am Rathaus"),
    ("ar", "الحمار في الحقل"),  # « donkey » alone, in a field
]


@pytest.mark.parametrize(("language", "text"), HELD)
def test_an_insult_or_a_threat_holds_the_text(language: str, text: str) -> None:
    # given the shipped list / when a text holding an insult is checked / then it is held
    assert HeldTerms().found(text, "mairie-49007") is not None, language


@pytest.mark.parametrize(("language", "text"), PUBLIC)
def test_near_misses_do_not_hold_the_text(language: str, text: str) -> None:
    # given the shipped list / when an ordinary text is checked / then it is not held
    assert HeldTerms().found(text, "mairie-49007") is None, language


def test_a_deployment_adds_words_for_every_body_and_per_body(tmp_path: Path) -> None:
    # given a terms file adding a word everywhere and a phrase for one body
    path = tmp_path / "terms.json"
    path.write_text(
        json.dumps({"*": ["Bouffon"], "mairie-49007": ["rat d'égout"]}), encoding="utf-8"
    )
    terms = HeldTerms.from_file(path)
    # when / then
    assert terms.found("quel bouffon", "mairie-49246") == "bouffon"
    assert terms.found("espèce de rat d'egout", "mairie-49007") is not None
    assert terms.found("espèce de rat d'egout", "mairie-49246") is None
    assert terms.found("Espèce de crétin", "mairie-49246") is not None  # the shipped list stays


def test_a_malformed_terms_file_is_refused(tmp_path: Path) -> None:
    # given / when / then
    path = tmp_path / "terms.json"
    path.write_text(json.dumps({"*": "bouffon"}), encoding="utf-8")
    with pytest.raises(ValueError, match="expected an object of lists"):
        HeldTerms.from_file(path)
