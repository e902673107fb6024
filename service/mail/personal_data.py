"""The mail queue's columns in the register: codes and counts only (the residents' addresses
stay in the contacts, service.privacy.catalogue, read when a message is sent, never copied);
and the subscriptions to new reports by area, whose address is personal data."""

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

declare_not_personal(
    "mail_message",
    ["message_uid", "dedupe_key", "kind", "status", "last_error"],
    why="codes, ids and the mail server's reply code: never an address",
)

AREA_ALERTS = "area_alerts"
SUBSCRIBERS = N_("People who subscribe to alerts of new reports")

declare_purpose(
    Purpose(
        AREA_ALERTS,
        N_("Alerts of new reports by area"),
        N_(
            "Only after the subscriber confirms the address (double opt-in); one-click "
            "unsubscribe in every message deletes it."
        ),
        LegalBasis.CONSENT,
        SUBSCRIBERS,
        (Recipient.RESIDENT,),
    )
)
declare_personal(
    "mail_subscription",
    ["email", "email_hash"],
    category=DataCategory.EMAIL,
    purposes=[AREA_ALERTS],
    retention=Retention.UNTIL_EXPIRY,
    encrypted=True,
)
declare_personal(
    "mail_subscription",
    ["latitude", "longitude"],
    category=DataCategory.LOCATION,
    purposes=[AREA_ALERTS],
    retention=Retention.UNTIL_EXPIRY,
)
declare_not_personal(
    "mail_subscription",
    ["key_id", "commune_code", "category_code", "language", "token_nonce"],
    why="codes, a key id and a nonce",
)
