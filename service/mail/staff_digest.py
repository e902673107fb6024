"""An agent's daily e-mail digest: the new items of their bodies, the items assigned to them,
the overdue ones — opt-in per account (off by default), at most one a day, to the work
address, with links into the console.

No resident's personal data: no contact, descriptions as the public reads them (masked,
withheld by moderation). Planned by the mail worker (``plan_staff_digests``), rendered when
sent (``staff_digest_message``): a deactivated account, or one that turned the digest off
meanwhile, gets nothing. Every digest carries a one-click unsubscribe (RFC 8058) that turns
the opt-in off.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from email.message import Message

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.errors import N_, DomainError
from service.items.models import Item
from service.mail import rules
from service.mail.models import MailKind, MailMessage
from service.mail.render import Renderer
from service.mail.subscription_messages import public_listing
from service.routing import due
from service.staff.errors import StaffErrorCode
from service.staff.models import StaffUser
from service.territory.models import Body

SALT = "staff-digest-v1"
DIGEST_MAX_ITEMS = 50
LANGUAGE = "fr"  # staff accounts hold no language yet: the console's default
SUBJECT = N_("Your daily digest: %(new)s new, %(mine)s assigned to you, %(overdue)s overdue")
CONSOLE_ITEM = "/console/dossiers/"


async def set_digest(session: AsyncSession, staff_id: int, enabled: bool) -> StaffUser:
    """Turn the signed-in agent's own digest on or off. Only ever the caller's own account:
    there is no staff id to pass from outside."""
    staff = await session.get(StaffUser, staff_id)
    if staff is None or not staff.active:
        raise DomainError(StaffErrorCode.INACTIVE, N_("This account is deactivated."))
    staff.mail_digest = enabled
    session.add(staff)
    return staff


async def covered_bodies(session: AsyncSession, body_code: str) -> list[str]:
    """The agent's body and the bodies under it, as ``permissions.covered_bodies`` reads them
    from the reference data (here from the table: the worker holds no reference snapshot)."""
    children = await session.exec(select(Body.code).where(Body.parent_code == body_code))
    return sorted({body_code, *children.all()})


async def plan_staff_digests(session: AsyncSession, now: datetime) -> int:
    """Queue the day's digest of every active agent who opted in, at most one a day each:
    the window is the items received since the previous one (or the last day)."""

    day = timedelta(days=1)
    due_staff = await session.exec(
        select(StaffUser).where(
            col(StaffUser.mail_digest).is_(True),
            col(StaffUser.active).is_(True),
            or_(
                col(StaffUser.mail_digest_at).is_(None),
                col(StaffUser.mail_digest_at) <= now - day,
            ),
        )
    )
    newest = int((await session.exec(select(func.max(col(Item.id))))).one() or 0)
    created = 0
    for staff in due_staff.all():
        assert staff.id is not None
        since = staff.mail_digest_at or now - day
        before = await session.exec(
            select(func.max(col(Item.id))).where(col(Item.created_at) <= since)
        )
        after = int(before.one() or 0)
        key = f"staff-digest:{staff.id}:{now.date().isoformat()}"
        created += await rules.queue(
            session,
            key,
            MailKind.STAFF_DIGEST,
            None,
            now,
            staff_id=staff.id,
            after_item_id=after,
            up_to_item_id=newest,
        )
        staff.mail_digest_at = now
        session.add(staff)
    return created


class DigestTokens:
    """The signed link that turns an agent's digest off (the one-click unsubscribe): it names
    the account and the action, never the address."""

    def __init__(self, secret_keys: Sequence[str]) -> None:
        self._serializer = URLSafeSerializer(list(secret_keys), salt=SALT)

    def issue(self, staff: StaffUser) -> str:
        return str(self._serializer.dumps({"u": staff.id, "a": "digest-off"}))

    async def open(self, session: AsyncSession, token: str) -> StaffUser | None:
        try:
            payload = self._serializer.loads(token)
            staff_id = int(payload["u"])
            if payload["a"] != "digest-off":
                return None
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
        return await session.get(StaffUser, staff_id)


async def staff_digest_message(
    session: AsyncSession,
    renderer: Renderer,
    tokens: DigestTokens,
    message: MailMessage,
    staff: StaffUser,
    now: datetime,
) -> Message | None:
    """The digest, or None when there is nothing to say."""
    bodies = await covered_bodies(session, staff.body_code)
    in_bodies = col(Item.body_code).in_(bodies)
    open_statuses = sorted(s.value for s in due.OPEN_STATUSES)
    new = select(Item).where(
        in_bodies,
        col(Item.id) > (message.after_item_id or 0),
        col(Item.id) <= (message.up_to_item_id or 0),
        col(Item.duplicate_of_id).is_(None),
    )
    mine = select(Item).where(
        in_bodies, Item.assigned_to_id == staff.id, col(Item.status).in_(open_statuses)
    )
    late = select(Item).where(
        in_bodies, col(Item.due_at) < now, col(Item.status).in_(open_statuses)
    )
    translator = renderer.translator(LANGUAGE)
    sections = {}
    for name, statement in (("new", new), ("mine", mine), ("overdue", late)):
        found = (await session.exec(statement.order_by(col(Item.id)).limit(DIGEST_MAX_ITEMS))).all()
        listed = []
        for item in found:
            entry = await public_listing(session, item, translator)
            entry["url"] = renderer.link(CONSOLE_ITEM + item.reference)
            listed.append(entry)
        sections[name] = listed
    if not any(sections.values()):
        return None
    unsubscribe = renderer.link("/courriel/desinscription?jeton=" + tokens.issue(staff))
    counts = {name: translator.number(len(listed)) for name, listed in sections.items()}
    rendered = renderer.render(
        "staff_digest",
        LANGUAGE,
        SUBJECT,
        sections=sections,
        **counts,
        console_url=renderer.link("/console"),
        unsubscribe_url=unsubscribe,
    )
    return renderer.message(
        rendered,
        uid=message.message_uid,
        to=staff.email,
        language=LANGUAGE,
        now=now,
        unsubscribe=unsubscribe,
    )
