"""What the sensor register and residents' opinions hold, for the register of processing.

The register describes public equipment; an opinion is anonymous, but its comment is free
text (masked of e-mails and phone numbers, still possibly personal) and its device key is kept
as a keyed hash so that one device counts once."""

from __future__ import annotations

from service.errors import N_
from service.privacy.catalogue import RESIDENTS
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

SENSOR_OPINIONS = "sensor_opinions"

declare_purpose(
    Purpose(
        SENSOR_OPINIONS,
        N_("Hearing residents' opinions on the sensors in public space"),
        N_("Count how well each sensor is accepted and understood, one opinion per device."),
        LegalBasis.PUBLIC_TASK,
        RESIDENTS,
        (Recipient.HANDLING_BODY, Recipient.PUBLIC),
    )
)
declare_personal(
    "sensor_opinion",
    ["comment"],
    category=DataCategory.FREE_TEXT,
    purposes=[SENSOR_OPINIONS],
    # An opinion is not an item: the purge counts from its last change (opinion_comments).
    retention=Retention.FREE_TEXT_AFTER_CHANGE,
)
declare_personal(
    "sensor_opinion",
    ["device_hash"],
    category=DataCategory.PSEUDONYM,
    purposes=[SENSOR_OPINIONS],
    retention=Retention.STATISTICS,
)
declare_not_personal("sensor_opinion", ["understood", "concerns"], why="codes")
declare_not_personal(
    "sensor",
    [
        "slug",
        "name",
        "description",
        "place_name",
        "latitude",
        "longitude",
        "anonymisation",
        "hosting",
        "open_data_url",
        "status",
        "planned_on",
        "installed_on",
        "removed_on",
        "public_reply",
    ],
    why="public equipment described by its accountable body",
)
declare_not_personal("sensor_element", ["variables"], why="DTPR values of a sensor")
declare_not_personal(
    "dtpr_category",
    ["name_en", "name_fr", "description_en", "description_fr"],
    why="the DTPR taxonomy",
)
declare_not_personal(
    "dtpr_element",
    ["name_en", "name_fr", "description_en", "description_fr"],
    why="the DTPR taxonomy",
)
declare_not_personal(
    "dtpr_translation", ["name", "description"], why="ALM's translation of the DTPR taxonomy"
)
