"""Push channel benchmark: cases created per second at an agency's API by the `rest-push`
channel, against its floor.

    claimbridge  RestPushChannel.submit(batch): each case serialised from the handover model,
                 POSTed with its Idempotency-Key, the answer classified (2xx, success: false,
                 4xx, 5xx).
    floor        a bare httpx.Client loop POSTing the same bodies (serialised beforehand) with
                 the same headers to the same server: the HTTP round trips alone.

The server is the simulated agency (simulators.agency) under uvicorn, in its own process,
for both; every run creates new cases (fresh references), so no answer is a replay.

    python -m tests.benchmarks.push                        # 2,000 cases
    python -m tests.benchmarks.push --cases 200 --json --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from pydantic import SecretStr

from connectors.agency_rest import RestPushChannel, RestPushOptions, case_body
from connectors.base import ConnectorContext
from connectors.rest.options import BearerAuth
from gateway.domain.handover import HandoverBatch, HandoverCase
from gateway.domain.items import Debtor, ItemKey, OpenItem
from gateway.domain.money import Money
from simulators.agency import free_port

KEY = "bench-agency-key"
NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


@contextmanager
def _agency() -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "SIM_AGENCY_API_KEY": KEY}
    process = subprocess.Popen(  # our own interpreter and module
        [sys.executable, "-m", "uvicorn", "--factory", "--port", str(port), "--log-level",
         "warning", "--no-access-log", "simulators.agency.app:app_from_environment"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "/", headers={"Authorization": f"Bearer {KEY}"}, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the simulated agency did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _batch(cases: int) -> HandoverBatch:
    run = uuid.uuid4().hex[:8]
    out = []
    for n in range(cases):
        debtor = Debtor(f"{100000 + n}", f"Customer {n} GmbH", country="DE", city="Berlin")
        money = Money.of("1234.56", "EUR")
        item = OpenItem(
            key=ItemKey("erp", "1000", f"{1800000000 + n}", 2026, "001"),
            debtor_number=debtor.number,
            document_date=date(2026, 7, 1),
            posting_date=date(2026, 7, 1),
            net_due_date=date(2026, 8, 1),
            amount=money,
            open_amount=money,
            dunning_level=3,
        )
        out.append(
            HandoverCase(
                f"CB-{run}-{n:07d}", "sim", debtor, [item], Money.zero("EUR"), Money.zero("EUR")
            )
        )
    return HandoverBatch(f"CB-B-{run}", "sim", NOW, date(2026, 11, 20), out)


def measure_claimbridge(url: str, cases: int) -> float:
    batch = _batch(cases)
    options = RestPushOptions(
        base_url=url, auth=BearerAuth(kind="bearer", token=SecretStr(KEY)), timeout_seconds=30
    )
    channel = RestPushChannel(options, ConnectorContext("sim", Path(".")))
    started = time.perf_counter()
    channel.submit(batch)
    elapsed = time.perf_counter() - started
    channel.close()
    return elapsed


def measure_floor(url: str, cases: int) -> float:
    batch = _batch(cases)
    bodies = [
        (c.reference, json.dumps(case_body(batch, c), separators=(",", ":")).encode())
        for c in batch.cases
    ]
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    with httpx.Client(base_url=url + "/", timeout=30) as http:
        started = time.perf_counter()
        for reference, body in bodies:
            response = http.post(
                "cases", content=body, headers={**headers, "Idempotency-Key": reference}
            )
            response.raise_for_status()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=2_000, help="cases per run")
    parser.add_argument("--json", action="store_true", help="one JSON object per figure")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best counts")
    args = parser.parse_args()
    with _agency() as url:
        measure_floor(url, 50)  # warm up the server and the connection pool
        floor = min(measure_floor(url, args.cases) for _ in range(args.repeat))
        ours = min(measure_claimbridge(url, args.cases) for _ in range(args.repeat))
    figure = {
        "name": f"push_{args.cases}_cases",
        "seconds": round(ours, 3),
        "floor_seconds": round(floor, 3),
        "ratio": round(ours / floor, 2),
        "cases_per_second": round(args.cases / ours),
        "floor_cases_per_second": round(args.cases / floor),
    }
    if args.json:
        print(json.dumps(figure))
        return
    print(
        f"{'benchmark':<28}{'seconds':>10}{'floor s':>10}{'ratio':>8}"
        f"{'cases/s':>10}{'floor cases/s':>15}"
    )
    print(
        f"{figure['name']:<28}{figure['seconds']:>10.2f}{figure['floor_seconds']:>10.2f}"
        f"{figure['ratio']:>8.2f}{figure['cases_per_second']:>10}"
        f"{figure['floor_cases_per_second']:>15}"
    )


if __name__ == "__main__":
    main()
