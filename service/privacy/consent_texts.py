"""The consent texts residents read, by version, in the five languages.

A resident consents to a text: the consent row keeps its version (``consent.text_version``),
and the service must be able to show that exact text years later (an export, a complaint, the
register). The texts are data in ``fixtures/consent/``: one JSON file per version, never edited
once published; ``SHA256SUMS`` there pins every published file (a test fails when one
changes), and ``index.json`` says which version is current. A new wording is a new file.

They ship with the code (like the catalogs), so a version the service accepted is always one it
can show: a submission naming an unknown version is refused (``privacy.rules``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from service.privacy.models import ConsentPurpose
from service.resources import resource_dir
from service.settings import SUPPORTED_LOCALES

CHECKSUMS = "SHA256SUMS"
INDEX = "index.json"


class ConsentTextsInvalid(ValueError):
    """A file of ``fixtures/consent/`` is incomplete or changed after publication."""


@dataclass(frozen=True)
class ConsentTextVersion:
    version: str
    published_on: date
    # purpose -> locale -> text
    texts: dict[ConsentPurpose, dict[str, str]]

    def text(self, purpose: ConsentPurpose, locale: str) -> str:
        by_locale = self.texts[purpose]
        return by_locale.get(locale) or by_locale["fr"]


@dataclass(frozen=True)
class ConsentLibrary:
    versions: dict[str, ConsentTextVersion]
    current: str

    def get(self, version: str | None) -> ConsentTextVersion | None:
        """A version by name; None: the current one. Unknown: None."""
        return self.versions.get(self.current if version is None else version.strip())

    def is_published(self, version: str) -> bool:
        return version.strip() in self.versions


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_checksums(folder: Path) -> dict[str, str]:
    """file name -> sha256, as ``sha256sum`` writes them."""
    sums: dict[str, str] = {}
    for line in (folder / CHECKSUMS).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split(maxsplit=1)
            sums[name.lstrip("*").strip()] = digest
    return sums


def _version(path: Path) -> ConsentTextVersion:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("version") != path.stem:
        raise ConsentTextsInvalid(f"{path.name}: its version must be its file name")
    texts: dict[ConsentPurpose, dict[str, str]] = {}
    for purpose in ConsentPurpose:
        by_locale = data.get("texts", {}).get(purpose.value, {})
        missing = [locale for locale in SUPPORTED_LOCALES if not by_locale.get(locale)]
        if missing:
            raise ConsentTextsInvalid(f"{path.name}: {purpose.value} lacks {missing}")
        texts[purpose] = {locale: str(by_locale[locale]) for locale in SUPPORTED_LOCALES}
    return ConsentTextVersion(
        version=path.stem, published_on=date.fromisoformat(data["publishedOn"]), texts=texts
    )


def load_library(folder: Path) -> ConsentLibrary:
    """Every published version of ``folder``; refuses a file that differs from its checksum
    or is not pinned (a version is published by adding its checksum)."""
    sums = read_checksums(folder)
    versions: dict[str, ConsentTextVersion] = {}
    for path in sorted(folder.glob("*.json")):
        if path.name == INDEX:
            continue
        if sums.get(path.name) != file_digest(path):
            raise ConsentTextsInvalid(
                f"{path.name} is not the published text (its checksum in {CHECKSUMS} differs "
                "or is missing): publish a new version instead of editing one"
            )
        versions[path.stem] = _version(path)
    current = json.loads((folder / INDEX).read_text(encoding="utf-8"))["current"]
    if current not in versions:
        raise ConsentTextsInvalid(f"{INDEX} names {current!r}, which is not published")
    return ConsentLibrary(versions=versions, current=current)


@lru_cache(maxsize=1)
def published() -> ConsentLibrary:
    """The texts shipped with the service (read once)."""
    return load_library(resource_dir("fixtures") / "consent")
