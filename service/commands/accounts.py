"""Commands that create accounts and keys: the first staff members, integrators' API keys,
bodies' webhook signing secrets."""

from __future__ import annotations

import argparse
import asyncio
import sys

from service.commands.common import (
    EXIT_CHECK_FAILED,
    EXIT_CONFIGURATION,
    CommandFailed,
    configured_cipher,
    ensure_migrated,
)
from service.db import Database
from service.settings import Settings
from service.staff.accounts import MIN_PASSWORD_LENGTH
from service.staff.models import Role


def staff_create(settings: Settings, args: argparse.Namespace) -> int:
    ensure_migrated(settings)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        import getpass

        password = getpass.getpass("password: ")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise CommandFailed(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters", EXIT_CHECK_FAILED
        )
    email = asyncio.run(create_staff(settings, args, password))
    print(f"created {args.role} {email} for {args.body}")
    return 0


async def create_staff(settings: Settings, args: argparse.Namespace, password: str) -> str:
    from sqlalchemy.exc import IntegrityError

    from service.context import utc_now
    from service.staff import rules as staff_rules
    from service.territory.models import Body

    db = Database(settings.resolved_database_url)
    try:
        async with db.writing() as session:
            if await session.get(Body, args.body) is None:
                raise CommandFailed(f"there is no body {args.body!r}", EXIT_CHECK_FAILED)
            user = await staff_rules.create_staff(
                session,
                email=args.email,
                name=args.name,
                body_code=args.body,
                role=Role(args.role),
                password=password,
                now=utc_now(),
            )
            return user.email
    except IntegrityError:
        raise CommandFailed(f"{args.email} already has an account", EXIT_CHECK_FAILED) from None
    finally:
        await db.dispose()


def api_client_create(settings: Settings, args: argparse.Namespace) -> int:
    from service.integrations import rules as api_clients

    scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
    if not api_clients.valid_client_name(args.name):
        raise CommandFailed(
            "a client name is 2-55 lower-case letters, digits, - or _", EXIT_CHECK_FAILED
        )
    unknown = sorted(set(scopes) - set(api_clients.SCOPES))
    if unknown or not scopes:
        raise CommandFailed(
            f"unknown scope {', '.join(unknown) or '(none)'}; choose among "
            + ", ".join(api_clients.SCOPES),
            EXIT_CHECK_FAILED,
        )
    ensure_migrated(settings)
    key = asyncio.run(create_api_client(settings, args.name, scopes, args.trusted_documents_only))
    print(
        f"created API client {args.name} with scopes {' '.join(scopes)}; "
        "its key (shown once, keep it secret):"
    )
    print(key)
    return 0


async def create_api_client(
    settings: Settings, name: str, scopes: list[str], trusted_documents_only: bool
) -> str:
    from sqlalchemy.exc import IntegrityError

    from service.context import utc_now
    from service.integrations import rules as api_clients

    db = Database(settings.resolved_database_url)
    try:
        async with db.writing() as session:
            _, key = await api_clients.create_api_client(
                session,
                name,
                utc_now(),
                scopes,
                trusted_documents_only=trusted_documents_only,
            )
            return key
    except IntegrityError:
        raise CommandFailed(f"there is already an API client {name!r}", EXIT_CHECK_FAILED) from None
    finally:
        await db.dispose()


def api_client_revoke(settings: Settings, args: argparse.Namespace) -> int:
    ensure_migrated(settings)

    async def revoke() -> bool:
        from service.context import utc_now
        from service.integrations import rules as api_clients

        db = Database(settings.resolved_database_url)
        try:
            async with db.writing() as session:
                return await api_clients.revoke_api_client(session, args.name, utc_now())
        finally:
            await db.dispose()

    if not asyncio.run(revoke()):
        raise CommandFailed(f"there is no active API client {args.name!r}", EXIT_CHECK_FAILED)
    print(f"revoked API client {args.name}")
    return 0


def route_secret(settings: Settings, args: argparse.Namespace) -> int:
    """A new signing secret for a body's webhook route: stored encrypted, printed once."""
    ensure_migrated(settings)
    cipher = configured_cipher(settings)
    if cipher is None:
        raise CommandFailed(
            "no SERVICE_ENCRYPTION_KEYS or SERVICE_SECRET_KEYS: signing secrets are stored "
            "encrypted",
            EXIT_CONFIGURATION,
        )

    async def replace_secret() -> str:
        import secrets

        from sqlmodel import select

        from service.routing.models import Route, RouteKind
        from service.routing.rules import set_signing_secret

        db = Database(settings.resolved_database_url)
        try:
            async with db.writing() as session:
                found = await session.exec(
                    select(Route).where(
                        Route.body_code == args.body, Route.kind == RouteKind.WEBHOOK.value
                    )
                )
                route = found.first()
                if route is None:
                    raise CommandFailed(
                        f"{args.body!r} has no webhook route (see routes.csv)", EXIT_CHECK_FAILED
                    )
                secret = "whsec_" + secrets.token_urlsafe(32)
                set_signing_secret(route, secret, cipher)
                session.add(route)
                return secret
        finally:
            await db.dispose()

    secret = asyncio.run(replace_secret())
    print(
        f"new signing secret of {args.body}'s webhook route (shown once, give it to the "
        "body's receiver; deliveries are signed with it from now on):"
    )
    print(secret)
    return 0
