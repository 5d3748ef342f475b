"""SAP extraction benchmark: open items through the simulated SAP system into SQLite, against
iterating the simulator's raw output.

claimbridge's figure is a whole extraction (the `sap-rfc` source on the simulator, the
sap-bapi3007 preset, the store): per customer BAPI_AR_ACC_GETOPENITEMS, the customer's master
data (BAPI_CUSTOMER_GETDETAIL2) and BAPI_AR_ACC_GETBALANCEDITEMS, every record mapped, checked
and stored, then clearing detection. The floor is the same calls on the same simulated system,
each returned row merely looked at: what producing the records costs before claimbridge does
anything with them. Each measurement runs in its own process (its peak memory is its own).

    python -m tests.benchmarks.sap                          # 100,000 and 1,000,000 items
    python -m tests.benchmarks.sap --items 20000 --json --repeat 1

Prints, per size: seconds, floor seconds, ratio, and the peak RSS of both; the best of
`--repeat` runs (default 3). Items: 100 open items per customer over company codes 1000 and
2000 (so 1,000,000 items are 10,020 customers, 20 of them unreadable: quarantined), plus each
customer's noted items (left out) and cleared items of the last 31 days (read as clearings).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

AS_OF = date(2026, 11, 20)
ITEMS_PER_CUSTOMER = 100
COMPANY_CODES = ("1000", "2000")
LOOKBACK = date(2026, 10, 20)


def customers_for(items: int) -> int:
    """Customers per company code for `items` readable items: the simulated system's VIP
    customers (index 17 of every 509) are not readable by its RFC user and are left out."""
    per_customer = ITEMS_PER_CUSTOMER * len(COMPANY_CODES)
    customers = max(1, items // per_customer)
    while (customers - (customers + 491) // 509) * per_customer < items:
        customers += 1
    return customers


def measure_floor(items: int) -> tuple[float, int]:
    from connectors.sap_rfc.simulator import SimulatedSap

    sap = SimulatedSap.create(
        base_date=AS_OF,
        customers_per_company_code=customers_for(items),
        items_per_customer=ITEMS_PER_CUSTOMER,
        fixed_items=True,
    )
    started = time.perf_counter()
    seen = 0
    keydate, first = AS_OF.strftime("%Y%m%d"), LOOKBACK.strftime("%Y%m%d")
    for code in COMPANY_CODES:
        sap.call("BAPI_COMPANYCODE_GETDETAIL", COMPANYCODEID=code)
        listed = sap.call("Z_CLAIMBRIDGE_OPEN_CUSTOMERS", I_BUKRS=code, I_KEYDATE=keydate)
        for row in listed["ET_CUSTOMERS"]:
            customer = row["KUNNR"]
            result = sap.call(
                "BAPI_AR_ACC_GETOPENITEMS",
                COMPANYCODE=code,
                CUSTOMER=customer,
                KEYDATE=keydate,
                NOTEDITEMS="",
            )
            if result["RETURN"]["TYPE"]:
                continue
            sap.call("BAPI_CUSTOMER_GETDETAIL2", CUSTOMERNO=customer, COMPANYCODE=code)
            for line in result["LINEITEMS"]:
                seen += line["DOC_NO"] != ""
            balanced = sap.call(
                "BAPI_AR_ACC_GETBALANCEDITEMS",
                COMPANYCODE=code,
                CUSTOMER=customer,
                DATE_FROM=first,
                DATE_TO=keydate,
            )
            for line in balanced["LINEITEMS"]:
                seen += 0 * len(line["CLEAR_DATE"])
    return time.perf_counter() - started, seen


SOURCE = """\
sources:
  erp:
    connector: sap-rfc
    mapping: preset:sap-bapi3007
    options:
      client: simulator
      simulator:
        base_date: "{as_of}"
        customers_per_company_code: {customers}
        items_per_customer: {per_customer}
        fixed_items: true
      company_codes: [{codes}]
      customers:
        function: {{function: Z_CLAIMBRIDGE_OPEN_CUSTOMERS, table: ET_CUSTOMERS,
                    key_date_parameter: I_KEYDATE}}
      cleared_items: {{lookback_days: 31}}

"""


def measure_claimbridge(items: int, folder: Path) -> tuple[float, int]:
    import re

    from gateway.config import load_config
    from gateway.pipeline import RunContext, Step, run_cycle
    from gateway.sample.init import init_folder
    from gateway.storage.database import create_store
    from gateway.storage.migrations import upgrade

    config_path = init_folder(folder / "ws", AS_OF)
    source = SOURCE.format(
        as_of=AS_OF.isoformat(),
        customers=customers_for(items),
        per_customer=ITEMS_PER_CUSTOMER,
        codes=", ".join(f'"{c}"' for c in COMPANY_CODES),
    )
    text = re.sub(r"(?ms)^sources:\n.*?(?=^agencies:)", source, config_path.read_text())
    config_path.write_text(text)
    config = load_config(config_path)
    store = create_store(config.database_url)
    upgrade(store.engine)
    context = RunContext(config, store, AS_OF, lambda: datetime.now(UTC))
    started = time.perf_counter()
    summary = run_cycle(context, (Step.EXTRACT,))
    elapsed = time.perf_counter() - started
    (result,) = summary.extraction
    if result.status not in ("ok", "partial") or result.accepted == 0:
        raise SystemExit(f"extraction failed: {result}")
    store.dispose()
    # every line is taken: an item, or applied to the invoice it refers to (partial payments)
    return elapsed, result.accepted + result.applied


def _child(kind: str, items: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        seconds, count = (
            measure_floor(items) if kind == "floor" else measure_claimbridge(items, Path(tmp))
        )
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_kb / 1024, "items": count}))


def _run(kind: str, items: int, repeat: int) -> dict[str, float]:
    """The best of `repeat` runs and the highest peak memory among them."""
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-m", "tests.benchmarks.sap", "--child", kind, "--items", str(items)],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        "seconds": min(r["seconds"] for r in runs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "items": runs[0]["items"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", default="100000,1000000", help="comma-separated sizes")
    parser.add_argument("--json", action="store_true", help="one JSON object per figure")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best counts")
    parser.add_argument("--child", choices=("floor", "claimbridge"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, int(args.items))
        return
    if not args.json:
        print(
            f"{'benchmark':<32}{'items':>10}{'seconds':>10}{'floor s':>10}{'ratio':>8}"
            f"{'peak MB':>10}{'floor MB':>10}"
        )
    for items in (int(i) for i in args.items.split(",")):
        floor = _run("floor", items, args.repeat)
        ours = _run("claimbridge", items, args.repeat)
        if ours["items"] != floor["items"]:
            raise SystemExit(f"stored {ours['items']} items, the simulator gave {floor['items']}")
        figure = {
            "name": f"sap_extract_{items}_items_sqlite",
            "seconds": round(ours["seconds"], 3),
            "floor_seconds": round(floor["seconds"], 3),
            "ratio": round(ours["seconds"] / floor["seconds"], 2),
            "peak_rss_mb": round(ours["peak_rss_mb"], 1),
            "floor_peak_rss_mb": round(floor["peak_rss_mb"], 1),
            "items": int(ours["items"]),
            "items_per_second": round(ours["items"] / ours["seconds"]),
        }
        if args.json:
            print(json.dumps(figure))
        else:
            print(
                f"{figure['name']:<32}{figure['items']:>10}{figure['seconds']:>10.2f}"
                f"{figure['floor_seconds']:>10.2f}{figure['ratio']:>8.2f}"
                f"{figure['peak_rss_mb']:>10.1f}{figure['floor_peak_rss_mb']:>10.1f}"
            )


if __name__ == "__main__":
    main()
