"""GraphQL types of personal data: consents, the resident's rights, the register."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.scalars import JSON

from service.privacy.declarations import DataCategory, LegalBasis, Recipient, Retention
from service.privacy.errors import PrivacyErrorCode
from service.privacy.models import ConsentPurpose
from service.schema_support import described_enum
from service.tracking.types import TrackedItem

described_enum(
    PrivacyErrorCode,
    name="PrivacyErrorCode",
    description="Why a personal-data action was refused.",
    values={
        PrivacyErrorCode.INVALID_EMAIL: "The e-mail address does not look valid.",
        PrivacyErrorCode.INVALID_PHONE: "The phone number does not look valid.",
        PrivacyErrorCode.CONTACT_INCOMPLETE: "A contact needs an e-mail address or a phone.",
        PrivacyErrorCode.CONSENT_REQUIRED: "A contact needs the resident's explicit consent.",
        PrivacyErrorCode.NAME_TOO_LONG: "The name is too long.",
        PrivacyErrorCode.NO_CONTACT: "No contact was left, or the consent was withdrawn.",
        PrivacyErrorCode.TOKEN_INVALID: "The token is forged, damaged, revoked or unknown.",
        PrivacyErrorCode.TOKEN_EXPIRED: "The item was finished too long ago.",
        PrivacyErrorCode.INVALID_YEAR: "No transparency report for this year (a past year, "
        "or this one so far).",
    },
)
described_enum(
    ConsentPurpose,
    name="ConsentPurpose",
    description="What a resident may consent to, each withdrawable on its own.",
    values={
        ConsentPurpose.FOLLOW_UP_CONTACT: "Be contacted about the item.",
        ConsentPurpose.SHARE_WITH_OPERATOR: "Let the handling body's own system receive the "
        "contact.",
        ConsentPurpose.SATISFACTION_SURVEY: "Be asked afterwards how it went.",
    },
)
described_enum(
    LegalBasis,
    name="LegalBasis",
    description="The legal basis of a processing (RGPD art. 6).",
    values={
        LegalBasis.CONSENT: "The person's consent, art. 6(1)(a).",
        LegalBasis.PUBLIC_TASK: "A task in the public interest, art. 6(1)(e).",
        LegalBasis.LEGAL_OBLIGATION: "A legal obligation, art. 6(1)(c).",
    },
)
described_enum(
    DataCategory,
    name="PersonalDataCategory",
    description="A kind of personal data.",
    values={
        DataCategory.NAME: "A person's name.",
        DataCategory.EMAIL: "An e-mail address.",
        DataCategory.PHONE: "A phone number.",
        DataCategory.HOME_ADDRESS: "A home address.",
        DataCategory.LOCATION: "The place of an item.",
        DataCategory.FREE_TEXT: "What a person wrote.",
        DataCategory.PSEUDONYM: "A keyed hash standing for a device or a value.",
        DataCategory.STAFF_IDENTITY: "Who a staff member is.",
        DataCategory.CREDENTIAL: "Password and token hashes.",
        DataCategory.PHOTO: "A photo sent with an item (re-encoded, no metadata).",
    },
)
described_enum(
    Recipient,
    name="DataRecipient",
    description="Who receives or reads the data.",
    values={
        Recipient.HANDLING_BODY: "Staff of the body handling the item.",
        Recipient.OPERATOR: "The handling body's own system, with consent.",
        Recipient.RESIDENT: "The resident, with their tracking token.",
        Recipient.ADMINISTRATORS: "The body's administrators of this service.",
        Recipient.PUBLIC: "Anyone (masked text and public-space places only).",
    },
)
described_enum(
    Retention,
    name="RetentionRule",
    description="How long data is kept.",
    values={
        Retention.CONTACT_AFTER_CLOSE: "Deleted some days after the item is finished.",
        Retention.FREE_TEXT_AFTER_CLOSE: "Redacted some years after the item is finished.",
        Retention.FREE_TEXT_AFTER_CHANGE: "Redacted some years after it was last changed.",
        Retention.ACCESS_LOG: "Deleted after a period.",
        Retention.WHILE_ACCOUNT_EXISTS: "As long as the staff account exists.",
        Retention.UNTIL_EXPIRY: "Until it expires or is revoked.",
        Retention.STATISTICS: "Kept, anonymous, for statistics.",
    },
)


@strawberry.type(description="Why a personal-data action was refused.")
class PrivacyError:
    field: str | None = strawberry.field(description="The input at fault, if one is.")
    message: str = strawberry.field(description="What went wrong, in the caller's language.")
    code: PrivacyErrorCode = strawberry.field(description="Stable code for programs.")


@strawberry.type(description="The consents left after a withdrawal.")
class ConsentWithdrawPayload:
    remaining_purposes: list[ConsentPurpose] = strawberry.field(
        description="Purposes still consented; empty when none remains."
    )
    contact_deleted: bool = strawberry.field(
        description="True when the contact was deleted because no purpose remains."
    )
    errors: list[PrivacyError] = strawberry.field(description="Empty on success.")


@strawberry.type(description="A copy of everything held about an item and its contact.")
class MyDataExportPayload:
    document: str | None = strawberry.field(
        description="JSON document (format alm-feedback-my-data/1) as a string; null on errors.",
        deprecation_reason="A JSON string inside the JSON answer: read `content`, the same "
        "document as a JSON value.",
    )
    content: JSON | None = strawberry.field(
        default=None,
        description="The document (format alm-feedback-my-data/1) as a JSON value; null on errors.",
    )
    summary: str | None = strawberry.field(
        description="The same in a few sentences, in the caller's language."
    )
    errors: list[PrivacyError] = strawberry.field(description="Empty on success.")


@strawberry.type(description="The item after erasure: kept, anonymous.")
class MyDataErasePayload:
    item: TrackedItem | None = strawberry.field(description="The anonymous item; null on errors.")
    contact_deleted: bool = strawberry.field(description="Whether a contact was deleted.")
    texts_redacted: int = strawberry.field(description="How many texts were blanked.")
    errors: list[PrivacyError] = strawberry.field(description="Empty on success.")


@strawberry.type(description="A kind of personal data a processing uses.")
class ProcessedData:
    category: DataCategory = strawberry.field(description="Its kind.")
    label: str = strawberry.field(description="Its kind, in the caller's language.")
    encrypted: bool = strawberry.field(description="Whether it is encrypted at rest.")
    retention: Retention = strawberry.field(description="The rule that applies.")
    retention_label: str = strawberry.field(
        description="How long it is kept, in the caller's language, with the configured period."
    )


@strawberry.type(description="One processing activity of the register (RGPD art. 30).")
class ProcessingActivity:
    purpose: str = strawberry.field(description="Stable code of the purpose.")
    title: str = strawberry.field(description="Its name, in the caller's language.")
    description: str = strawberry.field(description="What it is for, in the caller's language.")
    legal_basis: LegalBasis = strawberry.field(description="Its legal basis.")
    legal_basis_label: str = strawberry.field(description="Its legal basis, translated.")
    data_subjects: str = strawberry.field(description="Whose data, translated.")
    data: list[ProcessedData] = strawberry.field(description="The data it uses.")
    recipients: list[Recipient] = strawberry.field(description="Who receives or reads them.")
    recipient_labels: list[str] = strawberry.field(description="The same, translated.")
    consent_text_version: str | None = strawberry.field(
        default=None,
        description="For a processing based on consent: the current version of the text "
        "residents consent to (`consentTexts(version:)` shows every version); null otherwise.",
    )
    consent_text: str | None = strawberry.field(
        default=None, description="That text, in the caller's language."
    )


@strawberry.type(description="The register of processing activities (RGPD art. 30).")
class ProcessingRegister:
    controller: str = strawberry.field(description="The controller.")
    activities: list[ProcessingActivity] = strawberry.field(description="Its activities.")


@strawberry.type(description="One count of the transparency report.")
class TransparencyLine:
    key: str = strawberry.field(description="A stable key (a kind, a channel, a count's name).")
    label: str = strawberry.field(description="What it counts, in the caller's language.")
    count: int = strawberry.field(description="How many in the year.")


@strawberry.type(description="A part of the transparency report.")
class TransparencySection:
    title: str = strawberry.field(description="Its title, in the caller's language.")
    lines: list[TransparencyLine] = strawberry.field(description="Its counts.")


@strawberry.type(
    description="The annual transparency report: what the service collected, kept, read and "
    "removed in a year, from real counts. Counts only, never data."
)
class TransparencyReport:
    year: int = strawberry.field(description="The year (UTC).")
    title: str = strawberry.field(description="The report's title, in the caller's language.")
    sections: list[TransparencySection] = strawberry.field(description="Its parts, in order.")
    markdown: str = strawberry.field(
        description="The whole report as Markdown, as `python -m service transparency-report` "
        "prints it."
    )


@strawberry.type(description="One consent text: what a resident reads before ticking a box.")
class ConsentText:
    purpose: ConsentPurpose = strawberry.field(description="What it asks consent for.")
    text: str = strawberry.field(description="The text, in the answer's language.")


@strawberry.type(
    description="The consent texts of one published version, in one language. A version is "
    "never changed once published: the version a resident consented to shows the text they "
    "read, now and later."
)
class ConsentTextSet:
    version: str = strawberry.field(
        description="The version to send as `contact.consentTextVersion` with a submission."
    )
    published_on: date = strawberry.field(description="When it was published.")
    current: bool = strawberry.field(
        description="Whether it is the version to show to residents now."
    )
    language: str = strawberry.field(description="The language of the texts (fr, en, …).")
    texts: list[ConsentText] = strawberry.field(description="One text per purpose.")
