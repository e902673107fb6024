"""The mail queue's columns in the register: codes and counts only; the addresses stay in the
contacts (service.privacy.catalogue), read when a message is sent, never copied here."""

from __future__ import annotations

from service.privacy.declarations import declare_not_personal

declare_not_personal(
    "mail_message",
    ["message_uid", "dedupe_key", "kind", "status", "last_error"],
    why="codes, ids and the mail server's reply code: never an address",
)
