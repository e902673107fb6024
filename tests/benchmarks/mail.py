"""`python -m tests.benchmarks.mail`: e-mail messages rendered and handed to SMTP per second,
and what the mail worker costs reportCreate. Not part of the test suite (timings have no place
there); a real SMTP server (aiosmtpd) runs in the process, a SQLite file in a temporary folder.

1. render: messages rendered (text + HTML from the templates, in French) and serialised, per s;
2. send: queued messages claimed, checked (consent, cap), rendered, handed to the SMTP server
   over one session and recorded, per second;
3. reportCreate with a contact (the GraphQL mutation, in process, one client), without and
   with the mail worker running in the same event loop and sending every message it makes:
   the difference is what messages cost submissions (budget: at most 10 %).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from service.context import Services
from service.mail.models import MailKind
from service.mail.render import Renderer
from service.mail.sender import (
    SUBJECTS,
    SendCounts,
    plan_mail,
    run_mail_worker,
    send_due_messages,
)
from service.settings import Settings
from tests.mail.support import Inbox, smtp_server
from tests.support import ONE_ORIGIN_LIMITS, prepare_database, running_service, submit_report


def contact(n: int) -> dict[str, Any]:
    return {
        "name": "Camille Martin",
        "email": f"bench-{n}@example.org",
        "followUpConsent": True,
        "consentTextVersion": "2026-01",
    }


async def timed(count: int, step: Callable[[int], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    for n in range(count):
        await step(n)
    return count / (time.perf_counter() - started)


def render_rate(services: Services, count: int) -> float:
    renderer = Renderer(services.settings, services.translations)
    started = time.perf_counter()
    for n in range(count):
        rendered = renderer.render(
            "resident",
            "fr",
            SUBJECTS[MailKind.ANSWERED],
            kind="answered",
            reference=f"ALM-2026-{n:06d}",
            category="Nid-de-poule",
            answer="Réparation prévue jeudi.",
            original_reference=None,
            follow_url="https://signaler.example/suivi?jeton=abc",
            unsubscribe_url="https://signaler.example/courriel/desinscription?jeton=abc",
        )
        message = renderer.message(
            rendered, uid=f"{n}", to="a@example.org", language="fr", now=datetime.now(UTC)
        )
        message.as_bytes()
    return count / (time.perf_counter() - started)


def bench_settings(folder: Path, inbox: Inbox) -> Settings:
    return Settings(
        database_url=f"sqlite:///{folder / 'service.db'}",
        data_dir=folder,
        secret_keys=("k" * 32,),
        public_url="https://signaler.example",
        mail_smtp_host=inbox.host,
        mail_smtp_port=inbox.port,
        mail_smtp_security="none",
        mail_per_address_day=1_000_000,
        **ONE_ORIGIN_LIMITS,
    )


async def measure(
    settings: Settings, inbox: Inbox, submissions: int, messages: int
) -> dict[str, float]:
    results: dict[str, float] = {}
    async with running_service(settings) as (services, client):
        results["render_per_s"] = render_rate(services, messages)

        async def create(n: int) -> None:
            payload = await submit_report(client, contact=contact(n))
            assert payload["errors"] == [], payload

        # queue `messages` messages, then send them all
        await timed(messages, create)
        await plan_mail(services.db, settings, datetime.now(UTC))
        before = len(inbox.received)
        started = time.perf_counter()
        while await send_due_messages(services.db, services.mailer, datetime.now(UTC)) != (
            SendCounts()
        ):
            pass
        sent = len(inbox.received) - before
        results["sent"] = sent
        results["send_per_s"] = sent / (time.perf_counter() - started)

        # reportCreate with a contact: without the mail worker, then with it
        results["create_without_per_s"] = await timed(submissions, create)
        stop = asyncio.Event()
        worker = asyncio.create_task(
            run_mail_worker(services.db, services.mailer, stop, services.clock)
        )
        received = len(inbox.received)
        results["create_with_per_s"] = await timed(submissions, create)
        stop.set()
        await worker
        results["sent_meanwhile"] = len(inbox.received) - received
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--submissions", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, smtp_server() as inbox:
        settings = bench_settings(Path(folder), inbox)
        prepare_database(settings)
        results = asyncio.run(measure(settings, inbox, args.submissions, args.messages))
    cost = 1 - results["create_with_per_s"] / results["create_without_per_s"]
    print(f"rendered (text + HTML, serialised): {results['render_per_s']:,.0f} messages/s")
    print(
        f"handed to SMTP (claim, consent, render, send, record): "
        f"{results['send_per_s']:,.0f} messages/s ({results['sent']:.0f} messages)"
    )
    print(
        f"reportCreate with a contact, one client in process: "
        f"{results['create_without_per_s']:,.0f}/s without the mail worker, "
        f"{results['create_with_per_s']:,.0f}/s with it "
        f"({results['sent_meanwhile']:.0f} messages sent meanwhile): cost {cost:.1%} "
        f"(budget ≤ 10 %: {'met' if cost <= 0.10 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
