"""What moderation holds, for the register of processing.

A flag from the public is anonymous: its device key is kept only as a keyed hash (one flag
per device and item), its comment is masked of personal data and read by the handling body's
staff only. Both go when the item's free text goes (retention or the resident's erasure)."""

from __future__ import annotations

from service.errors import N_
from service.privacy.declarations import (
    DataCategory,
    LegalBasis,
    Purpose,
    Recipient,
    Retention,
    declare_not_personal,
    declare_personal,
    declare_purpose,
)

MODERATION = "moderation"

declare_purpose(
    Purpose(
        MODERATION,
        N_("Moderating what the public reads"),
        N_(
            "Hold, hide or edit a public text that insults, threatens or shows someone's "
            "personal data, on staff decision or after flags from the public (one per device)."
        ),
        LegalBasis.LEGAL_OBLIGATION,
        N_("People who flag a public text"),
        (Recipient.HANDLING_BODY,),
    )
)
declare_personal(
    "item_flag",
    ["comment"],
    category=DataCategory.FREE_TEXT,
    purposes=[MODERATION],
    retention=Retention.FREE_TEXT_AFTER_CLOSE,
)
declare_personal(
    "item_flag",
    ["device_hash"],
    category=DataCategory.PSEUDONYM,
    purposes=[MODERATION],
    retention=Retention.FREE_TEXT_AFTER_CLOSE,
)
declare_not_personal("item_flag", ["reason"], why="a code")
declare_not_personal("item", ["moderation"], why="a code")
