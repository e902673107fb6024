"""Where an item's console pages live: its page, and its photos' pages under it."""

from __future__ import annotations

ITEM = "/console/dossiers/{reference}"
PHOTO = ITEM + "/photos/{photo}"


def item_path(reference: str) -> str:
    return ITEM.format(reference=reference)


def photo_path(reference: str, photo_id: str) -> str:
    return PHOTO.format(reference=reference, photo=photo_id)
