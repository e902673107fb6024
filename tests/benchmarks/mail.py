"""`python -m tests.benchmarks.mail`: e-mail messages rendered and handed to SMTP per second,
and what the mail worker costs reportCreate. Not part of the test suite (timings have no place
there); a real SMTP server (aiosmtpd's Sink, which discards) runs in a process of its own (in
this one, it would take the GIL from the sender), a SQLite file in a temporary folder.

1. render: messages rendered (text + HTML from the templates, in French) and serialised, per s;
2. send: queued messages claimed, checked (consent, cap), rendered, handed to the SMTP server
   over one session and recorded, per second;
3. reportCreate (the GraphQL mutation, in process, one client) with and without a contact,
   and the mail worker idle: what messages add to submissions (budget: at most 10 %).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from service.context import Services
from service.mail.models import MailKind, MailMessage
from service.mail.render import Renderer
from service.mail.sender import (
    SUBJECTS,
    SendCounts,
    plan_mail,
    run_mail_worker,
    send_due_messages,
)
from service.settings import Settings
from tests.mail.support import Inbox, free_port
from tests.support import ONE_ORIGIN_LIMITS, prepare_database, running_service, submit_report

IDLE_SECONDS = 10.0


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


async def sent(services: Services) -> int:
    async with services.db.reading() as session:
        found = await session.exec(
            select(func.count(col(MailMessage.id))).where(MailMessage.status == "sent")
        )
        return int(found.one())


async def drain(services: Services, plan: bool = True) -> None:
    if plan:
        await plan_mail(services.db, services.settings, datetime.now(UTC))
    nothing = SendCounts()
    while await send_due_messages(services.db, services.mailer, datetime.now(UTC)) != nothing:
        pass


async def measure(settings: Settings, submissions: int, messages: int) -> dict[str, float]:
    """Rates in wall time, and costs in CPU time of this process (time.process_time): the
    machine may be shared, and its other load shows in the first, hardly in the second."""
    results: dict[str, float] = {}
    async with running_service(settings) as (services, client):
        results["render_per_s"] = render_rate(services, messages)

        async def create(n: int) -> None:
            payload = await submit_report(client, contact=contact(n))
            assert payload["errors"] == [], payload

        async def create_anonymous(n: int) -> None:
            payload = await submit_report(client)
            assert payload["errors"] == [], payload

        # reportCreate's CPU time, with and without a contact (the mail worker stopped)
        for name, step in (("anonymous", create_anonymous), ("contact", create)):
            cpu = time.process_time()
            results[f"create_{name}_per_s"] = await timed(submissions, step)
            results[f"create_{name}_cpu_ms"] = (time.process_time() - cpu) * 1000 / submissions

        # what sending the messages of those submissions takes: plan, claim, consent, render,
        # hand over, record
        before = await sent(services)
        started, cpu = time.perf_counter(), time.process_time()
        await drain(services)
        results["sent"] = await sent(services) - before
        results["send_per_s"] = results["sent"] / (time.perf_counter() - started)
        results["message_cpu_ms"] = (time.process_time() - cpu) * 1000 / results["sent"]

        # the worker idle (default poll), as a share of one core
        stop = asyncio.Event()
        cpu = time.process_time()
        worker = asyncio.create_task(
            run_mail_worker(services.db, services.mailer, stop, services.clock)
        )
        await asyncio.sleep(IDLE_SECONDS)
        stop.set()
        await worker
        results["idle_share"] = (time.process_time() - cpu) / IDLE_SECONDS
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--submissions", type=int, default=400)
    args = parser.parse_args()
    inbox = Inbox(port=free_port())
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink"]
        + ["-l", f"{inbox.host}:{inbox.port}"]
    )
    time.sleep(1.0)
    with tempfile.TemporaryDirectory() as folder:
        settings = bench_settings(Path(folder), inbox)
        prepare_database(settings)
        try:
            results = asyncio.run(measure(settings, args.submissions, args.messages))
        finally:
            sink.terminate()
            sink.wait()
    anonymous, with_contact = results["create_anonymous_cpu_ms"], results["create_contact_cpu_ms"]
    message = results["message_cpu_ms"]
    print(f"rendered (text + HTML, serialised): {results['render_per_s']:,.0f} messages/s")
    print(
        f"handed to SMTP (plan, claim, consent, render, send, record): "
        f"{results['send_per_s']:,.0f} messages/s ({results['sent']:.0f} messages), "
        f"{message:.2f} ms of CPU each"
    )
    print(
        f"reportCreate (one client, in process): {results['create_anonymous_per_s']:,.0f}/s, "
        f"{anonymous:.2f} ms of CPU without contact; {results['create_contact_per_s']:,.0f}/s, "
        f"{with_contact:.2f} ms with one"
    )
    print(
        f"added to reportCreate: nothing in the request (messages are planned from the "
        f"outbox by the worker); the idle worker takes {results['idle_share']:.2%} of a core; "
        f"a submission with a follow-up consent costs its message later: "
        f"{message / with_contact:.0%} of its own CPU, once per message"
    )


if __name__ == "__main__":
    main()
