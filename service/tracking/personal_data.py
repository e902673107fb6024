"""What « my items » holds, for the register of processing (see ``service.tracking.my_items``).

A device's list of items is a pseudonym (a digest of two secrets the device made) beside item
ids: opt-in, each item registered with its tracking token, deleted when the device forgets it,
with the item's free text (erasure by the resident, or the retention period).
"""

from __future__ import annotations

from service.errors import N_
from service.privacy.catalogue import RESIDENTS
from service.privacy.declarations import (
    DataCategory,
    LegalBasis,
    Purpose,
    Recipient,
    Retention,
    declare_personal,
    declare_purpose,
)

DEVICE_ITEMS = "device_items"

declare_purpose(
    Purpose(
        DEVICE_ITEMS,
        N_("Listing a resident's items on their device"),
        N_(
            "Only when the resident's app or browser registers an item, with its tracking code: "
            "a digest of two secrets the device made, never the secrets, lists the items "
            "without an account."
        ),
        LegalBasis.CONSENT,
        RESIDENTS,
        (Recipient.RESIDENT,),
    )
)
declare_personal(
    "device_item",
    ["device_hash"],
    category=DataCategory.PSEUDONYM,
    purposes=[DEVICE_ITEMS],
    retention=Retention.FREE_TEXT_AFTER_CLOSE,
)
