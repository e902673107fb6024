"""The register of processing activities (RGPD art. 30), generated from the declarations:
it cannot say something the code does not do. Labels are msgids, translated when served."""

from __future__ import annotations

from dataclasses import dataclass

from service.errors import N_
from service.privacy.declarations import (
    DataCategory,
    LegalBasis,
    PersonalColumn,
    Purpose,
    Recipient,
    Retention,
    registry,
)
from service.privacy.retention import RetentionPeriods

CONTROLLER = N_("Angers Loire Métropole and its communes, each for the items it handles")

CATEGORY_LABELS = {
    DataCategory.NAME: N_("Name"),
    DataCategory.EMAIL: N_("E-mail address"),
    DataCategory.PHONE: N_("Phone number"),
    DataCategory.HOME_ADDRESS: N_("Home address"),
    DataCategory.LOCATION: N_("Place of the item"),
    DataCategory.FREE_TEXT: N_("Free text written by the resident"),
    DataCategory.PSEUDONYM: N_("Keyed hash of a device"),
    DataCategory.STAFF_IDENTITY: N_("Staff identity"),
    DataCategory.CREDENTIAL: N_("Password and token hashes"),
    DataCategory.PHOTO: N_("Photos sent by the resident, re-encoded without metadata"),
}
LEGAL_BASIS_LABELS = {
    LegalBasis.CONSENT: N_("Consent (RGPD art. 6(1)(a))"),
    LegalBasis.PUBLIC_TASK: N_("Task in the public interest (RGPD art. 6(1)(e))"),
    LegalBasis.LEGAL_OBLIGATION: N_("Legal obligation (RGPD art. 6(1)(c))"),
}
RECIPIENT_LABELS = {
    Recipient.HANDLING_BODY: N_("Staff of the body handling the item"),
    Recipient.OPERATOR: N_("The handling body's own system, with consent"),
    Recipient.RESIDENT: N_("The resident, with their tracking code"),
    Recipient.ADMINISTRATORS: N_("Administrators of the body"),
    Recipient.PUBLIC: N_("The public: masked text and public-space places only"),
}
RETENTION_LABELS = {
    Retention.CONTACT_AFTER_CLOSE: N_(
        "Deleted %(days)s days after the item is finished, or at once when consent is withdrawn"
    ),
    Retention.FREE_TEXT_AFTER_CLOSE: N_("Redacted %(days)s days after the item is finished"),
    Retention.FREE_TEXT_AFTER_CHANGE: N_("Redacted %(days)s days after it was last changed"),
    Retention.ACCESS_LOG: N_("Deleted after %(days)s days"),
    Retention.WHILE_ACCOUNT_EXISTS: N_("As long as the staff account exists"),
    Retention.UNTIL_EXPIRY: N_("Until it expires or is revoked"),
    Retention.STATISTICS: N_("Kept for statistics; anonymous once the free text is redacted"),
}


def retention_days(rule: Retention, periods: RetentionPeriods) -> int | None:
    return {
        Retention.CONTACT_AFTER_CLOSE: periods.contact_days,
        Retention.FREE_TEXT_AFTER_CLOSE: periods.free_text_days,
        Retention.FREE_TEXT_AFTER_CHANGE: periods.free_text_days,
        Retention.ACCESS_LOG: periods.access_log_days,
    }.get(rule)


@dataclass(frozen=True)
class ProcessedCategory:
    category: DataCategory
    encrypted: bool
    retention: Retention


@dataclass(frozen=True)
class Activity:
    purpose: Purpose
    data: list[ProcessedCategory]


def processing_activities() -> list[Activity]:
    """One activity per declared purpose, with the data categories its columns hold."""
    declared = registry()
    activities = []
    for code, purpose in declared.purposes.items():
        columns: list[PersonalColumn] = [
            c for c in declared.personal.values() if code in c.purposes
        ]
        seen: dict[tuple[DataCategory, Retention], bool] = {}
        for column in columns:
            key = (column.category, column.retention)
            seen[key] = seen.get(key, True) and column.encrypted
        data = [ProcessedCategory(cat, enc, ret) for (cat, ret), enc in seen.items()]
        activities.append(Activity(purpose, data))
    return activities
