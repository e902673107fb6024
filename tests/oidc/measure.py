"""The sign-in round trip against the local OpenID provider, measured: ``PYTHONPATH=. python
-m tests.oidc.measure`` (needs ``npm ci --prefix tests/oidc``). Prints the first sign-in (discovery
and JWKS fetched) and the median of 11 warm ones, and of their callbacks alone."""

import asyncio
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from service.settings import Settings
from service.staff.oidc_settings import parse_oidc_providers
from tests.oidc.conftest import ACCOUNTS
from tests.oidc.support import Journey, LocalProvider, signing_key
from tests.oidc.test_oidc_sign_in import START, preauthorise
from tests.support import prepare_database, running_service

d = Path(tempfile.mkdtemp())
s = Settings(data_dir=d, secret_keys=("k" * 32,))
prepare_database(s)
provider = LocalProvider("test", ACCOUNTS, [signing_key("k1")])
provider.start()


async def main():
    providers = parse_oidc_providers(provider.settings_entry(["mairie-49007"]), development=True)
    async with running_service(replace(s, oidc_providers=providers)) as (services, client):
        await preauthorise(services, email="anne.oidc@angers.fr")
        totals, callbacks = [], []
        for _ in range(12):
            j = Journey(client, "sub-anne")
            t0 = time.perf_counter()
            await j.go(START, stop_at_callback=True)
            t1 = time.perf_counter()
            r = await j.service_get(j.callback)
            t2 = time.perf_counter()
            assert r.status_code == 303, r.status_code
            totals.append((t2 - t0) * 1000)
            callbacks.append((t2 - t1) * 1000)
        print("first (cold: discovery + JWKS):", round(totals[0]), "ms")
        print(
            "warm round trip median:",
            round(statistics.median(totals[1:])),
            "ms; p max",
            round(max(totals[1:])),
        )
        print(
            "warm callback (code exchange + ID token check + session) median:",
            round(statistics.median(callbacks[1:])),
            "ms",
        )


try:
    asyncio.run(main())
finally:
    provider.stop()
