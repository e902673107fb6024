"""Consent texts served by version: the text a resident consented to can be shown later,
in five languages, and a published version never changes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.i18n.catalogs import load_translations
from service.privacy import consent_texts
from service.resources import resource_dir
from service.settings import SUPPORTED_LOCALES
from service.web.residents import CONSENT_TEXT_VERSION, CONSENT_TEXTS
from tests.privacy.helpers import CONTACT
from tests.support import data_of, operation, submit_report

pytestmark = pytest.mark.anyio
FOLDER = resource_dir("fixtures") / "consent"
REGISTER_CONSENTS = """
query { processingRegister { activities { purpose consentTextVersion consentText } } }
"""


async def texts(
    client: httpx.AsyncClient, version: str | None, language: str
) -> dict[str, Any] | None:
    data = await data_of(client, operation("ConsentTexts"), {"version": version}, language=language)
    found: dict[str, Any] | None = data["consentTexts"]
    return found


def test_every_published_version_is_the_file_its_checksum_pins() -> None:
    # given: the published files and their checksums
    sums = consent_texts.read_checksums(FOLDER)
    files = {p.name for p in FOLDER.glob("*.json")} - {consent_texts.INDEX}
    # then: each is pinned, and unchanged since it was
    assert files == set(sums)
    for name, digest in sums.items():
        assert consent_texts.file_digest(FOLDER / name) == digest, f"{name} was edited"


def test_an_edited_version_is_refused_at_load(tmp_path: Path) -> None:
    # given: a copy of the texts where a used version's wording changed
    copy = tmp_path / "consent"
    shutil.copytree(FOLDER, copy)
    path = copy / "2026-01.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["texts"]["follow_up_contact"]["fr"] = "Un autre texte."
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    # when / then
    with pytest.raises(consent_texts.ConsentTextsInvalid, match="2026-01.json"):
        consent_texts.load_library(copy)


def test_every_version_has_every_purpose_in_five_languages() -> None:
    library = consent_texts.load_library(FOLDER)
    assert library.current in library.versions
    for version in library.versions.values():
        for by_locale in version.texts.values():
            assert set(by_locale) == set(SUPPORTED_LOCALES)
            assert all(text.strip() for text in by_locale.values())


def test_the_web_pages_show_the_published_text_of_their_version() -> None:
    # given: the web pages' texts come from the catalogs, their version from the code
    catalogs = load_translations(resource_dir("locales"), SUPPORTED_LOCALES)
    version = consent_texts.load_library(FOLDER).versions[CONSENT_TEXT_VERSION]
    for locale, catalog in catalogs.items():
        for purpose, msgid in CONSENT_TEXTS.items():
            # then: a new wording on the pages needs a new published version
            assert catalog.gettext(msgid) == version.texts[purpose][locale], (purpose, locale)


async def test_the_current_texts_come_in_the_callers_language(client: httpx.AsyncClient) -> None:
    # when
    french = await texts(client, None, "fr")
    arabic = await texts(client, None, "ar")
    # then
    assert french is not None and arabic is not None
    assert french["current"] is True and french["version"] == "web-2026-06"
    assert french["language"] == "fr" and arabic["language"] == "ar"
    assert [t["purpose"] for t in french["texts"]] == [
        "FOLLOW_UP_CONTACT",
        "SHARE_WITH_OPERATOR",
        "SATISFACTION_SURVEY",
    ]
    assert french["texts"][0]["text"].startswith("J'accepte")
    assert french["texts"][0]["text"] != arabic["texts"][0]["text"]


async def test_an_older_version_is_served_and_an_unknown_one_is_null(
    client: httpx.AsyncClient,
) -> None:
    older = await texts(client, "2026-01", "de")
    assert older is not None and older["current"] is False
    assert older["publishedOn"] == "2026-01-01"
    assert await texts(client, "1999-01", "fr") is None


async def test_a_submission_naming_an_unpublished_version_is_refused(
    client: httpx.AsyncClient,
) -> None:
    # when
    payload = await submit_report(client, contact={**CONTACT, "consentTextVersion": "mine-1"})
    # then
    assert payload["report"] is None
    assert len(payload["errors"]) == 1
    assert payload["errors"][0]["code"] == "CONSENT_REQUIRED"
    assert payload["errors"][0]["field"] == "contact.consentTextVersion"


async def test_the_export_and_the_register_name_the_text(client: httpx.AsyncClient) -> None:
    # given: a report with a contact, consented on the version 2026-01
    payload = await submit_report(client, contact=CONTACT)
    token = payload["trackingToken"]
    # when
    export = (await data_of(client, operation("MyDataExportContent"), {"token": token}))[
        "myDataExport"
    ]
    register = await data_of(client, REGISTER_CONSENTS, language="en")
    # then: the export carries the text itself, in the item's language (fr)
    consents = export["content"]["consents"]
    assert {c["textVersion"] for c in consents} == {"2026-01"}
    assert all(c["text"].startswith("J'accepte") for c in consents)
    # and the register names the current text of each purpose based on consent
    named = {
        a["purpose"]: (a["consentTextVersion"], a["consentText"])
        for a in register["processingRegister"]["activities"]
    }
    assert named["follow_up_contact"][0] == "web-2026-06"
    assert named["follow_up_contact"][1].startswith("I agree")
    assert named["handle_items"] == (None, None)
    assert "device_items" in named
