"""What the photo table holds, for the register of processing.

A photo can show a face, a number plate, a house: it is personal data of the item's free
text kind. Its files (named by the row's id) live as long as the row: erased with the item's
free text by its tracking token, purged with it after the retention period (5 years by
default), and removed from the store once the row is gone. Nothing else of what was sent is
kept: the metadata (GPS position, phone, time) is dropped at upload, never stored.
"""

from __future__ import annotations

from service.privacy.catalogue import HANDLE_ITEMS
from service.privacy.declarations import (
    DataCategory,
    Retention,
    declare_not_personal,
    declare_personal,
)

declare_personal(
    "photo",
    ["id"],  # names the files of the photo (staff and public copies)
    category=DataCategory.PHOTO,
    purposes=[HANDLE_ITEMS],
    retention=Retention.FREE_TEXT_AFTER_CLOSE,
)
declare_personal(
    "photo",
    ["hidden_reason"],
    category=DataCategory.FREE_TEXT,
    purposes=[HANDLE_ITEMS],
    retention=Retention.FREE_TEXT_AFTER_CLOSE,
)
declare_not_personal(
    "photo",
    ["status", "upload_scope", "upload_key", "source_sha256"],
    why="moderation state, the uploader's kind (anonymous, staff, API client), the client's "
    "random retry key and the hash that recognises a retry; deleted with the photo",
)
