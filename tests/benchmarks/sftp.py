"""SFTP benchmark: a handover file up and a status file down through claimbridge's SFTP
transport, against OpenSSH's `sftp` client moving the same bytes to the same server.

The server is a real SSH server on loopback (OpenSSH's sshd, or asyncssh where sshd is absent;
tests/sftp_server.py). claimbridge's figure is what a run pays: connect (host key checked, key
authentication), then
- up: `publish` of the handover file (spooled locally, uploaded to `.NAME.part`, flushed on the
  server, size checked, posix-renamed), its SHA-256 computed on the way;
- down: `fetch` of the status file to a local temporary copy, hashed as it arrives, with the
  file's size and time checked before and after.
The floor is `sftp -b` (batch mode) doing `put` or `get` of the same file: process start,
connection, host key check, authentication, transfer. Each measurement runs in its own process
(its peak memory is its own; for the floor, that of the `sftp` process). Python's start-up and
imports are not counted: a claimbridge run pays them once for all its transfers.

    python -m tests.benchmarks.sftp                       # 100,000 cases up, 100,000 events down
    python -m tests.benchmarks.sftp --cases 2000 --events 2000 --json --repeat 1

Prints each figure beside its floor and the ratio, each the best of `--repeat` runs (default
3). Target (issue 3): ratio ≤ 1.5.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

AS_OF = date(2026, 11, 20)


def handover_file(path: Path, cases: int, seed: int = 20261120) -> None:
    """A handover CSV in the shipped layout (preset:handover-standard): one line per item,
    one to three items per case."""
    from mappings import load_mapping

    mapping = load_mapping("preset:handover-standard", Path("."))
    columns = mapping.columns_of("case") + mapping.columns_of("item")
    if len(columns) != 29:
        raise SystemExit(f"the handover layout changed ({len(columns)} columns): update this")
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for n in range(cases):
            items = rng.choice((1, 1, 2, 3))
            amounts = [rng.randrange(5_000, 2_000_000) for _ in range(items)]
            debtor = 100_000 + n // 2
            case = [
                f"CB-{n + 1:07d}",
                "EUR",
                f"{sum(amounts) / 100:.2f}",
                "0.00",
                "0.00",
                str(items),
                str(debtor),
                "company",
                f"Kunde {debtor} GmbH",
                "",
                f"DE{800000000 + debtor}",
                "",
                f"Hauptstraße {n % 200 + 1}",
                f"{10000 + n % 89999}",
                "Berlin",
                "DE",
                f"ar{debtor}@example.com",
                "+49 30 1234567",
                "de",
            ]
            for k, amount in enumerate(amounts):
                due = AS_OF - timedelta(days=30 + rng.randrange(300))
                item = [
                    f"1000-{1800000000 + 3 * n + k}-2026-001",
                    f"RE-2026-{3 * n + k}",
                    (due - timedelta(days=30)).isoformat(),
                    due.isoformat(),
                    str((AS_OF - due).days),
                    f"{amount / 100:.2f}",
                    f"{amount / 100:.2f}",
                    "3",
                    (due + timedelta(days=20)).isoformat(),
                    "false",
                ]
                writer.writerow(case + item)


def status_file(path: Path, events: int, seed: int = 20261121) -> None:
    """An agency status file (the simulated agency's layout): events with payments."""
    from simulators.file_agency import STATUS_COLUMNS

    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(STATUS_COLUMNS)
        for n in range(events):
            case = f"CB-{n // 3 + 1:07d}"
            status = ("ACK", "WIP", "PAY", "PLAN", "PAID")[n % 5]
            amount = rng.randrange(1_000, 500_000) / 100 if status == "PAY" else None
            writer.writerow(
                [
                    f"ACME-{case}-{n % 3 + 1}",
                    case,
                    f"2026-11-{n % 28 + 1:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
                    status,
                    f"{amount:.2f}" if amount else "",
                    f"{amount:.2f}" if amount else "",
                    "",
                    "",
                    f"{amount * 0.15:.2f}" if amount else "",
                    "EUR" if amount else "",
                    "agency" if amount else "",
                    "payment received" if amount else "",
                ]
            )


# --- one measurement, in a process of its own ------------------------------------------------


def _sftp_batch(server: dict[str, Any], command: str) -> tuple[float, int]:
    """Seconds `sftp -b` takes for `command`, and the peak RSS in KiB of sftp and its ssh (read
    from /proc while they run: `ru_maxrss` of a child would count this launcher's memory)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            "sftp",
            "-q",
            "-b",
            "-",
            "-i",
            server["client_key"],
            "-o",
            f"UserKnownHostsFile={server['known_hosts']}",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-P",
            str(server["port"]),
            f"{server['user']}@127.0.0.1",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    assert process.stdin is not None
    process.stdin.write(command.encode())
    process.stdin.close()
    peaks: dict[int, int] = {}
    while process.poll() is None:
        # sftp and the ssh it runs for the connection
        for pid in [process.pid, *_children(process.pid)]:
            try:
                lines = Path(f"/proc/{pid}/status").read_text().splitlines()
            except OSError:
                continue
            for line in lines:
                if line.startswith("VmHWM:"):
                    peaks[pid] = max(peaks.get(pid, 0), int(line.split()[1]))
        time.sleep(0.005)
    if process.wait() != 0:
        raise SystemExit(f"sftp failed: {command.strip()}")
    return time.perf_counter() - started, sum(peaks.values())


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _transport(server: dict[str, Any]) -> Any:
    from connectors.files import SftpTransportOptions, open_transport

    options = SftpTransportOptions.model_validate(server["options"])
    return open_transport(options, Path("/"))


def _child(kind: str, server: dict[str, Any], local: str, remote: str) -> None:
    folder, name = remote.rsplit("/", 1)
    if kind == "floor_up":
        seconds, peak = _sftp_batch(server, f"put {local} {server['root']}/{remote}\n")
    elif kind == "floor_down":
        seconds, peak = _sftp_batch(server, f"get {server['root']}/{remote} {local}\n")
    else:
        import connectors.files.sftp_pipeline
        import connectors.files.sftp_session  # noqa: F401

        started = time.perf_counter()
        transport = _transport(server)
        if kind == "claimbridge_up":
            with Path(local).open("rb") as source, transport.publish(folder, name) as (writer, _):
                while block := source.read(1 << 20):
                    writer.write(block)
        else:
            with transport.fetch(folder, name) as copy:
                if copy.size != Path(server["root"], remote).stat().st_size:
                    raise SystemExit("download incomplete")
        transport.close()
        seconds = time.perf_counter() - started
        peak = _own_peak_kib()
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak / 1024}))


def _own_peak_kib() -> int:
    """This process's peak RSS. Not `ru_maxrss`: Linux carries the peak of the process that
    forked us over `exec`, so the orchestrator's memory would show up as ours."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _run(
    kind: str, server: dict[str, Any], local: Path, remote: str, repeat: int
) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.benchmarks.sftp",
                "--child",
                kind,
                "--server",
                json.dumps(server),
                "--local",
                str(local),
                "--remote",
                remote,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        "seconds": min(r["seconds"] for r in runs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
    }


def _figure(
    name: str, ours: dict[str, float], floor: dict[str, float], size: int
) -> dict[str, Any]:
    return {
        "name": name,
        "seconds": round(ours["seconds"], 3),
        "floor_seconds": round(floor["seconds"], 3),
        "ratio": round(ours["seconds"] / floor["seconds"], 2),
        "peak_rss_mb": round(ours["peak_rss_mb"], 1),
        "floor_peak_rss_mb": round(floor["peak_rss_mb"], 1),
        "bytes": size,
        "mb_per_second": round(size / ours["seconds"] / 1e6, 1),
        "floor_mb_per_second": round(size / floor["seconds"] / 1e6, 1),
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=100_000, help="cases in the handover file")
    parser.add_argument("--events", type=int, default=100_000, help="events in the status file")
    parser.add_argument("--json", action="store_true", help="one JSON object per figure")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best counts")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--server", help=argparse.SUPPRESS)
    parser.add_argument("--local", help=argparse.SUPPRESS)
    parser.add_argument("--remote", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, json.loads(args.server), args.local, args.remote)
        return

    from tests.sftp_server import SftpServer

    server = SftpServer()
    try:
        server.start()
        with tempfile.TemporaryDirectory() as tmp:
            figures = _measure(server, Path(tmp), args.cases, args.events, args.repeat)
    finally:
        server.cleanup()
    if not args.json:
        print(f"server: {server.kind}")
        print(
            f"{'benchmark':<30}{'seconds':>10}{'floor s':>10}{'ratio':>8}"
            f"{'MB/s':>8}{'floor MB/s':>12}{'peak MB':>10}"
        )
    for figure in figures:
        if args.json:
            print(json.dumps({**figure, "server": server.kind}))
        else:
            print(
                f"{figure['name']:<30}{figure['seconds']:>10.2f}{figure['floor_seconds']:>10.2f}"
                f"{figure['ratio']:>8.2f}{figure['mb_per_second']:>8.1f}"
                f"{figure['floor_mb_per_second']:>12.1f}{figure['peak_rss_mb']:>10.1f}"
            )


def _measure(server: Any, tmp: Path, cases: int, events: int, repeat: int) -> list[dict[str, Any]]:
    info = {
        "port": server.port,
        "user": server.user,
        "client_key": str(server.client_key),
        "known_hosts": str(server.known_hosts),
        "root": str(server.root),
        "options": server.options(),
    }
    server.mkdir(server.path("to-agency"))
    server.mkdir(server.path("from-agency"))
    handover = tmp / f"handover_{cases}.csv"
    handover_file(handover, cases)
    status = tmp / f"status_{events}.csv"
    status_file(status, events)
    shutil.copyfile(status, server.path("from-agency") / status.name)

    up_remote = f"to-agency/{handover.name}"
    floor_up = _run("floor_up", info, handover, up_remote, repeat)
    ours_up = _run("claimbridge_up", info, handover, up_remote, repeat)
    if _sha256(server.path(up_remote)) != _sha256(handover):
        raise SystemExit("the uploaded file differs from the original")

    down_remote = f"from-agency/{status.name}"
    down_local = tmp / "downloaded.csv"
    floor_down = _run("floor_down", info, down_local, down_remote, repeat)
    ours_down = _run("claimbridge_down", info, down_local, down_remote, repeat)
    return [
        _figure(f"sftp_upload_{cases}_cases", ours_up, floor_up, handover.stat().st_size),
        _figure(f"sftp_download_{events}_events", ours_down, floor_down, status.stat().st_size),
    ]


if __name__ == "__main__":
    main()
