"""What the service catalogue and service requests hold, for the register of processing.

A request's answers can be personal (a gate code, a name on a door bell, a home address in a
text answer): they follow the free text of the item (seen by the handling body, redacted with
it on erasure or after retention)."""

from __future__ import annotations

from service.privacy.catalogue import HANDLE_ITEMS
from service.privacy.declarations import (
    DataCategory,
    Retention,
    declare_not_personal,
    declare_personal,
)

declare_personal(
    "service_request",
    ["answers"],
    category=DataCategory.FREE_TEXT,
    purposes=[HANDLE_ITEMS],
    retention=Retention.FREE_TEXT_AFTER_CLOSE,
)
declare_not_personal(
    "service", ["label", "description", "competence", "location"], why="the service catalogue"
)
declare_not_personal("service_group", ["label"], why="the service catalogue")
declare_not_personal(
    "service_question",
    ["code", "label", "description", "datatype", "minimum", "maximum"],
    why="the service catalogue",
)
declare_not_personal("service_question_value", ["key", "label"], why="the service catalogue")
declare_not_personal("service_availability", ["competence"], why="the service catalogue")
