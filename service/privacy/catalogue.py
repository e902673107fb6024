"""The declarations of the existing domains: items, reports, contacts, staff, routing, territory.

Text and coordinate columns must appear here (or in a new domain's declaring module, see
``service.privacy.declarations``); the register of processing is generated from them.
"""

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

RESIDENTS = N_("Residents who submit an item")
STAFF = N_("Staff of the communes and of the metropole")

HANDLE_ITEMS = "handle_items"
FOLLOW_UP_CONTACT = "follow_up_contact"
SHARE_WITH_OPERATOR = "share_with_operator"
SATISFACTION_SURVEY = "satisfaction_survey"
COUNT_SUPPORTS = "count_supports"
STAFF_ACCOUNTS = "staff_accounts"
STAFF_ACCOUNTABILITY = "staff_accountability"

declare_purpose(
    Purpose(
        HANDLE_ITEMS,
        N_("Handling reports and requests"),
        N_("Route each submission to the body that must handle it, answer it, keep statistics."),
        LegalBasis.PUBLIC_TASK,
        RESIDENTS,
        (Recipient.HANDLING_BODY, Recipient.RESIDENT, Recipient.PUBLIC),
    )
)
declare_purpose(
    Purpose(
        FOLLOW_UP_CONTACT,
        N_("Contacting the resident about their item"),
        N_("Only when the resident asks to be contacted and consents to it."),
        LegalBasis.CONSENT,
        RESIDENTS,
        (Recipient.HANDLING_BODY, Recipient.RESIDENT),
    )
)
declare_purpose(
    Purpose(
        SHARE_WITH_OPERATOR,
        N_("Sharing the contact with the handling body's own system"),
        N_("Only with the resident's consent; withdrawing it stops every later sending."),
        LegalBasis.CONSENT,
        RESIDENTS,
        (Recipient.OPERATOR, Recipient.RESIDENT),
    )
)
declare_purpose(
    Purpose(
        SATISFACTION_SURVEY,
        N_("Asking the resident how it went"),
        N_("Only with the resident's consent, once the item is resolved."),
        LegalBasis.CONSENT,
        RESIDENTS,
        (Recipient.HANDLING_BODY, Recipient.RESIDENT),
    )
)
declare_purpose(
    Purpose(
        COUNT_SUPPORTS,
        N_("Counting support for a report"),
        N_("One « me too » per device, kept as a keyed hash, never the device key."),
        LegalBasis.PUBLIC_TASK,
        RESIDENTS,
        (Recipient.PUBLIC,),
    )
)
declare_purpose(
    Purpose(
        STAFF_ACCOUNTS,
        N_("Staff accounts"),
        N_("Sign staff in and let them work the items of their body."),
        LegalBasis.PUBLIC_TASK,
        STAFF,
        (Recipient.ADMINISTRATORS,),
    )
)
declare_purpose(
    Purpose(
        STAFF_ACCOUNTABILITY,
        N_("Logging staff actions and reads of contacts"),
        N_("Show who did what and who read which contact, to prevent and detect misuse."),
        LegalBasis.LEGAL_OBLIGATION,
        STAFF,
        (Recipient.ADMINISTRATORS,),
    )
)

CONTACT_PURPOSES = (FOLLOW_UP_CONTACT, SHARE_WITH_OPERATOR, SATISFACTION_SURVEY)

# --- contacts (service.privacy.models) -----------------------------------------------------
declare_personal(
    "contact",
    ["name"],
    category=DataCategory.NAME,
    purposes=CONTACT_PURPOSES,
    retention=Retention.CONTACT_AFTER_CLOSE,
    encrypted=True,
)
declare_personal(
    "contact",
    ["email", "email_hash"],
    category=DataCategory.EMAIL,
    purposes=CONTACT_PURPOSES,
    retention=Retention.CONTACT_AFTER_CLOSE,
    encrypted=True,
)
declare_personal(
    "contact",
    ["phone", "phone_hash"],
    category=DataCategory.PHONE,
    purposes=CONTACT_PURPOSES,
    retention=Retention.CONTACT_AFTER_CLOSE,
    encrypted=True,
)
declare_not_personal("contact", ["key_id"], why="which key encrypted the row")
declare_not_personal(
    "consent", ["purpose", "text_version", "channel"], why="proof of consent: codes only"
)
declare_not_personal("privacy_log", ["action", "actor", "counts"], why="counts, never data")
declare_personal(
    "contact_access",
    ["staff_id"],
    category=DataCategory.STAFF_IDENTITY,
    purposes=[STAFF_ACCOUNTABILITY],
    retention=Retention.ACCESS_LOG,
)

# --- items (service.items.models) ----------------------------------------------------------
declare_personal(
    "item",
    ["description", "public_description"],
    category=DataCategory.FREE_TEXT,
    purposes=[HANDLE_ITEMS],
    retention=Retention.FREE_TEXT_AFTER_CLOSE,
)
declare_personal(
    "item",
    ["address_text"],
    category=DataCategory.FREE_TEXT,
    purposes=[HANDLE_ITEMS],
    retention=Retention.FREE_TEXT_AFTER_CLOSE,
)
declare_personal(
    "item_event",
    ["text"],
    category=DataCategory.FREE_TEXT,
    purposes=[HANDLE_ITEMS],
    retention=Retention.FREE_TEXT_AFTER_CLOSE,
)
declare_personal(
    "item",
    ["latitude", "longitude"],
    category=DataCategory.LOCATION,
    purposes=[HANDLE_ITEMS],
    retention=Retention.STATISTICS,
)
declare_not_personal(
    "item",
    [
        "reference",
        "kind",
        "status",
        "competence",
        "routing_reason",
        "delivery_state",
        "channel",
        "language",
        "idempotency_scope",
        "idempotency_key",
        "request_fingerprint",
        "token_nonce",
    ],
    why="codes, references, random keys and digests of the submission",
)
declare_not_personal(
    "item_event", ["kind", "audience", "actor", "from_status", "to_status", "language"], why="codes"
)
declare_personal(
    "support",
    ["device_hash"],
    category=DataCategory.PSEUDONYM,
    purposes=[COUNT_SUPPORTS],
    retention=Retention.FREE_TEXT_AFTER_CLOSE,
)
declare_not_personal("outbox", ["topic", "payload"], why="ids and codes, never personal data")
declare_not_personal(
    "delivery", ["delivery_uid", "status", "last_error"], why="delivery bookkeeping"
)

# --- staff (service.staff.models) ----------------------------------------------------------
declare_personal(
    "staff_user",
    ["email", "name"],
    category=DataCategory.STAFF_IDENTITY,
    purposes=[STAFF_ACCOUNTS],
    retention=Retention.WHILE_ACCOUNT_EXISTS,
)
declare_personal(
    "staff_user",
    ["password_hash"],
    category=DataCategory.CREDENTIAL,
    purposes=[STAFF_ACCOUNTS],
    retention=Retention.WHILE_ACCOUNT_EXISTS,
)
declare_not_personal("staff_user", ["role"], why="a code")
declare_personal(
    "staff_session",
    ["token_hash"],
    category=DataCategory.CREDENTIAL,
    purposes=[STAFF_ACCOUNTS],
    retention=Retention.UNTIL_EXPIRY,
)
declare_personal(
    "staff_access_token",
    ["token_hash"],
    category=DataCategory.CREDENTIAL,
    purposes=[STAFF_ACCOUNTS],
    retention=Retention.UNTIL_EXPIRY,
)
declare_not_personal("staff_access_token", ["name", "scopes"], why="a label and codes")
# A password link: only its hash, spent once used, replaced or 48 hours old (like a session's).
declare_personal(
    "staff_invitation",
    ["token_hash"],
    category=DataCategory.CREDENTIAL,
    purposes=[STAFF_ACCOUNTS],
    retention=Retention.UNTIL_EXPIRY,
)
declare_not_personal("staff_invitation", ["purpose"], why="a code")
# Sign-in through an identity provider: the provider's subject identifies the person there.
declare_personal(
    "staff_oidc_link",
    ["subject"],
    category=DataCategory.STAFF_IDENTITY,
    purposes=[STAFF_ACCOUNTS],
    retention=Retention.WHILE_ACCOUNT_EXISTS,
)
declare_not_personal("staff_oidc_link", ["provider"], why="a provider's id")
# An administrator's leave for someone's first sign-in: their work e-mail until used.
declare_personal(
    "staff_oidc_preauthorisation",
    ["email"],
    category=DataCategory.STAFF_IDENTITY,
    purposes=[STAFF_ACCOUNTS],
    retention=Retention.WHILE_ACCOUNT_EXISTS,
)
declare_not_personal(
    "staff_oidc_preauthorisation",
    ["provider", "role", "claim", "claim_value"],
    why="codes, and a group's name",
)
# The second factor: an encrypted TOTP secret, recovery codes as hashes.
declare_personal(
    "staff_second_factor",
    ["secret"],
    category=DataCategory.CREDENTIAL,
    purposes=[STAFF_ACCOUNTS],
    retention=Retention.WHILE_ACCOUNT_EXISTS,
)
declare_personal(
    "staff_recovery_code",
    ["code_hash"],
    category=DataCategory.CREDENTIAL,
    purposes=[STAFF_ACCOUNTS],
    retention=Retention.WHILE_ACCOUNT_EXISTS,
)
declare_not_personal(
    "answer_template",
    ["code", "language", "title", "text"],
    why="a body's standard answers, written for any resident",
)
declare_not_personal(
    "api_client",
    ["name", "key_prefix", "key_hash", "scopes"],
    why="an organisation's key, hashed, and what it may do",
)
declare_not_personal(
    "webhook",
    ["url", "event_types", "disabled_reason"],
    why="an organisation's endpoint",
)
declare_not_personal(
    "webhook",
    ["signing_secret"],
    why="the key that signs an organisation's deliveries (HMAC), encrypted at rest",
    encrypted=True,
)
declare_not_personal(
    "webhook", ["signing_secret_key_id"], why="which key encrypted the signing secret"
)
declare_not_personal(
    "webhook_delivery",
    ["delivery_uid", "event_type", "body", "status", "last_error"],
    why="public changes of public items (reference, kind, status, codes)",
)
declare_personal(
    "audit_log",
    ["staff_id"],
    category=DataCategory.STAFF_IDENTITY,
    purposes=[STAFF_ACCOUNTABILITY],
    retention=Retention.WHILE_ACCOUNT_EXISTS,
)
declare_not_personal("audit_log", ["body_code", "action", "detail"], why="codes and statuses")

declare_not_personal(
    "instance",
    ["instance_id", "signing_key_ids", "encryption_key_ids"],
    why="the instance's random id and digests naming its keys (never the keys)",
)

# --- reference data (territory, routing) ---------------------------------------------------
declare_not_personal("body", ["name", "kind"], why="public bodies")
declare_not_personal("category", ["label", "competence"], why="reference data")
declare_not_personal("category_group", ["label"], why="reference data")
declare_not_personal("commune", ["name", "siren", "postal_codes"], why="reference data")
declare_not_personal("commune_boundary", ["geometry"], why="reference data")
declare_not_personal("competence_override", ["competence", "effective_from"], why="reference")
declare_not_personal("due_target", ["subject", "code", "body_code"], why="reference data")
declare_not_personal("route", ["kind", "url", "email"], why="a body's endpoint, not a person's")
declare_not_personal(
    "route",
    ["signing_secret"],
    why="the key that signs a body's deliveries (HMAC), encrypted at rest",
    encrypted=True,
)
declare_not_personal(
    "route", ["signing_secret_key_id"], why="which key encrypted the signing secret"
)
