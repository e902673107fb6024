"""What the directory of help places holds, for the register of processing: public services'
names, addresses, hours and professional contacts (a desk's phone, a service mailbox), never a
person's. The keeper of an entry is a staff id, as in the audit log."""

from __future__ import annotations

from service.privacy.declarations import declare_not_personal

declare_not_personal(
    "help_place",
    ["slug", "name", "kind", "address", "latitude", "longitude", "offers", "languages",
     "hours", "booking_url", "website"],
    why="a public place that helps residents, as published",
)  # fmt: skip
declare_not_personal(
    "help_place",
    ["phone", "email"],
    why="a public service's professional contact, never a person's (checked by its keeper)",
)
declare_not_personal(
    "item_help_place",
    ["item_id", "place_id"],
    why="which public help place an agent submitted an item at, counted k-anonymously",
)
