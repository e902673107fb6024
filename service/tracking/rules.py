"""Tracking tokens: a resident follows their item without an account.

A token is the item's id and a per-item nonce, signed (itsdangerous, a salt for this purpose
alone, keys oldest first: the newest signs, all verify). The same item always gets the same
token, so an idempotent retry hands back the token of the first submission; changing the
nonce revokes it. It carries no personal data: it is signed, not encrypted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime, timedelta

from itsdangerous import BadSignature
from sqlmodel.ext.asyncio.session import AsyncSession

from service.errors import N_, DomainError, raise_if_any
from service.items import rules as items
from service.items.lifecycle import Status
from service.items.models import EventKind, Item
from service.outbox import rules as outbox
from service.signing import ShortURLSafeSerializer
from service.tracking.errors import TrackingErrorCode

SALT = "tracking-token-v1"
REOPEN_WITHIN = timedelta(days=30)
MAX_COMMENT = 2000
MAX_INFORMATION = 4000


class TrackingTokens:
    def __init__(self, secret_keys: Sequence[str], valid_days: int) -> None:
        self._serializer = ShortURLSafeSerializer(list(secret_keys), salt=SALT)
        self._short_key = hashlib.sha256(f"short-code:{secret_keys[-1]}".encode()).digest()
        self.valid_for = timedelta(days=valid_days)

    def issue(self, item: Item) -> str:
        return str(self._serializer.dumps({"i": item.id, "n": item.token_nonce}))

    def short_code(self, item: Item) -> str:
        """8 characters (40 bits) to read out or write down; with the reference it opens the
        item like the token. Derived, not stored; revoked with the nonce like the token."""
        digest = hmac.new(
            self._short_key, f"{item.id}:{item.token_nonce}".encode(), hashlib.sha256
        ).digest()
        code = base64.b32encode(digest[:5]).decode()  # A-Z2-7: no 0/O or 1/I to confuse
        return f"{code[:4]}-{code[4:]}"

    async def item_for_code(
        self, session: AsyncSession, reference: str, code: str, now: datetime
    ) -> Item:
        item = await items.get_by_reference(session, reference.strip().upper())
        given = code.strip().upper().replace(" ", "").replace("-", "")
        # Compared as bytes: compare_digest refuses non-ASCII strings, and a code in another
        # script is only a wrong code.
        expected = self.short_code(item).replace("-", "") if item is not None else ""
        if item is None or not hmac.compare_digest(
            expected.encode(), given.encode(errors="replace")
        ):
            # The caller sent a reference and a code, no token: the code is at fault.
            raise invalid_token(field="code")
        try:
            return self.opened(item, item.token_nonce, now)  # the code is the nonce's: dated
        except DomainError as error:  # expired: said of the code the caller sent
            error.field = "code"
            raise

    async def item_for(self, session: AsyncSession, token: str, now: datetime) -> Item:
        """The item a token opens, or a DomainError saying why it opens nothing."""
        item_id, nonce = self.unsigned(token)
        return self.opened(await session.get(Item, item_id), nonce, now)

    def unsigned(self, token: str) -> tuple[int, str]:
        """The item id and nonce a token carries, or the DomainError of a forged token. The
        item still has to be read and ``opened`` with them."""
        try:
            payload = self._serializer.loads(token)
            return int(payload["i"]), str(payload["n"])
        except (BadSignature, KeyError, TypeError, ValueError):
            raise invalid_token() from None

    def opened(self, item: Item | None, nonce: str, now: datetime) -> Item:
        """``item`` (read by the id the token carries) if the token still opens it: the same
        nonce (not revoked), not closed for longer than tokens live; else the DomainError."""
        if item is None or item.token_nonce != nonce:
            raise invalid_token()
        finished = item.closed_at or item.resolved_at
        if finished is not None and now > items.as_utc(finished) + self.valid_for:
            raise DomainError(
                TrackingErrorCode.TOKEN_EXPIRED,
                N_("This tracking code has expired: the item was closed over a year ago."),
                field="token",
            )
        return item


def may_give_feedback(item: Item) -> bool:
    """Whether the resident can now say if it was fixed (once it is resolved)."""
    return item.resolved_at is not None and Status(item.status) in (Status.RESOLVED, Status.CLOSED)


def may_reopen(item: Item, now: datetime) -> bool:
    """Whether « not fixed » can still reopen it (resolved, within 30 days)."""
    return (
        item.resolved_at is not None
        and Status(item.status) is Status.RESOLVED
        and now <= items.as_utc(item.resolved_at) + REOPEN_WITHIN
    )


def invalid_token(field: str = "token") -> DomainError:
    return DomainError(
        TrackingErrorCode.TOKEN_INVALID,
        N_("This tracking code is not valid. Check that it was copied whole."),
        field=field,
    )


def invalid_rating() -> DomainError:
    return DomainError(
        TrackingErrorCode.INVALID_RATING, N_("The rating goes from 1 to 5."), field="satisfaction"
    )


def add_information(session: AsyncSession, item: Item, text: str, now: datetime) -> None:
    """Extra details from the resident: seen by them and the handling body, not the public.
    Raises ``ValidationFailed`` when the text is empty, too long or breaks the text rule."""
    raise_if_any(items.text_errors(text, field="text", maximum=MAX_INFORMATION, required=True))
    items.add_event(
        session,
        item,
        EventKind.INFORMATION_ADDED,
        items.Audience.RESIDENT,
        actor="resident",
        now=now,
        text=text.strip(),
    )
    item.updated_at = now
    session.add(item)
    outbox.append(session, "item.information_added", item_id=item.id, now=now)


def give_feedback(
    session: AsyncSession,
    item: Item,
    *,
    fixed: bool,
    rating: int | None,
    comment: str | None,
    reopen: bool,
    now: datetime,
) -> None:
    """The resident's word on the outcome; "not fixed" may reopen it within 30 days. Raises
    ``ValidationFailed`` for a wrong comment, ``DomainError`` for what the item allows."""
    raise_if_any(items.text_errors(comment, field="comment", maximum=MAX_COMMENT))
    status = Status(item.status)
    if status not in (Status.RESOLVED, Status.CLOSED) or item.resolved_at is None:
        raise DomainError(
            TrackingErrorCode.FEEDBACK_NOT_ALLOWED,
            N_("You can give your opinion once the item is resolved."),
            field="fixed",
        )
    if rating is not None and not 1 <= rating <= 5:
        raise invalid_rating()
    if reopen:
        too_late = now > items.as_utc(item.resolved_at) + REOPEN_WITHIN
        if fixed or status is not Status.RESOLVED or too_late:
            raise DomainError(
                TrackingErrorCode.REOPEN_NOT_ALLOWED,
                N_("An item can be reopened only if it was not fixed, within 30 days."),
                field="reopen",
            )
    item.feedback_fixed = fixed
    item.feedback_rating = rating
    items.add_event(
        session,
        item,
        EventKind.FEEDBACK,
        items.Audience.RESIDENT,
        actor="resident",
        now=now,
        text=(comment or "").strip() or None,
    )
    # Heard by the trends roll-ups (satisfaction); not sent to the body's routes.
    outbox.append(session, outbox.FEEDBACK, item_id=item.id, now=now)
    if reopen:
        items.change_status(session, item, Status.ACKNOWLEDGED, actor="resident", now=now)
    else:
        item.updated_at = now
        session.add(item)
