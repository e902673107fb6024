"""The trends hold no personal data: codes and dates of aggregates (declared for the register)."""

from __future__ import annotations

from service.privacy.declarations import declare_not_personal

CELL = ["day", "kind", "subject", "commune_code", "channel", "body_code", "status"]
declare_not_personal("trends_daily", CELL, why="codes and the day of aggregated counts")
declare_not_personal(
    "trends_duration",
    ["day", "kind", "subject", "commune_code", "body_code", "measure"],
    why="codes and the day of aggregated duration histograms",
)
declare_not_personal(
    "trends_item_state",
    [*CELL, "counters"],
    why="the aggregate cell an item is counted in (codes, a day, 0/1 flags)",
)
SLICE = ["dimension", "commune_code", "grain", "start", "value"]
declare_not_personal("trends_slice", SLICE, why="codes and the day or month of aggregated counts")
declare_not_personal(
    "trends_slice_histogram",
    [*SLICE, "measure", "bins"],
    why="codes and dates of aggregated histograms, and their bins' counts",
)
declare_not_personal(
    "trends_scoped_slice",
    ["scope", "scope_value", *SLICE],
    why="codes and the month or year of aggregated counts within a kind, category or body",
)
declare_not_personal(
    "trends_scoped_slice_histogram",
    ["scope", "scope_value", *SLICE, "measure", "bins"],
    why="codes and dates of aggregated histograms within a kind, category or body",
)
