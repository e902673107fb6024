"""The register of processing is served in every language, complete, from the declarations."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from service.privacy.declarations import registry
from service.settings import SUPPORTED_LOCALES
from tests.support import data_of, operation

pytestmark = pytest.mark.anyio

# Words that are the same in English and that language (the catalog still holds them).
SAME_WORD = {"de": {"Name"}}


async def register_in(client: httpx.AsyncClient, language: str) -> dict[str, Any]:
    data = await data_of(client, operation("ProcessingRegister"), language=language)
    result: dict[str, Any] = data["processingRegister"]
    return result


async def test_the_register_lists_every_declared_purpose_and_category(
    client: httpx.AsyncClient,
) -> None:
    # given
    declared = registry()
    # when
    served = await register_in(client, "en")
    # then
    assert {a["purpose"] for a in served["activities"]} == set(declared.purposes)
    categories = {d["category"].lower() for a in served["activities"] for d in a["data"]}
    assert categories == {c.category.value for c in declared.personal.values()}
    contact = next(a for a in served["activities"] if a["purpose"] == "follow_up_contact")
    assert contact["legalBasis"] == "CONSENT"
    email = next(d for d in contact["data"] if d["category"] == "EMAIL")
    assert email["encrypted"] is True
    assert email["retentionLabel"].startswith("Deleted 30 days after the item is finished")


@pytest.mark.parametrize("language", [lang for lang in SUPPORTED_LOCALES if lang != "en"])
async def test_the_register_is_complete_in_every_language(
    client: httpx.AsyncClient, language: str
) -> None:
    # given
    english = await register_in(client, "en")
    # when
    served = await register_in(client, language)
    # then: every text is there and none is left in English
    assert served["controller"] and served["controller"] != english["controller"]
    for mine, theirs in zip(served["activities"], english["activities"], strict=True):
        for field in ("title", "description", "legalBasisLabel", "dataSubjects"):
            assert mine[field] and mine[field] != theirs[field], (language, field, mine[field])
        for label, english_label in zip(
            mine["recipientLabels"], theirs["recipientLabels"], strict=True
        ):
            assert label != english_label
        for data, english_data in zip(mine["data"], theirs["data"], strict=True):
            assert data["label"] != english_data["label"] or data["label"] in SAME_WORD.get(
                language, set()
            )
            assert data["retentionLabel"] != english_data["retentionLabel"]


async def test_an_opinion_comment_is_kept_from_its_last_change_not_from_an_item(
    client: httpx.AsyncClient,
) -> None:
    # when
    served = await register_in(client, "en")
    # then: an opinion has no item to finish; the purge counts from its last change
    opinions = next(a for a in served["activities"] if a["purpose"] == "sensor_opinions")
    comment = next(d for d in opinions["data"] if d["category"] == "FREE_TEXT")
    assert comment["retention"] == "FREE_TEXT_AFTER_CHANGE"
    assert comment["retentionLabel"] == "Redacted 1,826 days after it was last changed"
