"""The SFTP transport against a real SSH server on loopback (OpenSSH's sshd, or asyncssh where
sshd is absent): folders and files, atomic publishing, resumed transfers, and the precise
errors an integrator gets for each thing that can be wrong."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.base import (
    AuthenticationFailed,
    ConfigurationError,
    ConnectionFailed,
    Outcome,
    RetriableError,
    Unavailable,
)
from connectors.files import Inbox, InboxOptions, SftpFolders, SftpTransportOptions
from connectors.files.delivery import sweep_partials
from connectors.secrets import SecretValue
from tests.sftp_server import SftpServer, interrupt_download, interrupt_upload


@pytest.fixture(scope="module")
def server() -> Iterator[SftpServer]:
    server = SftpServer()
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def folders(server: SftpServer, request: pytest.FixtureRequest) -> str:
    """A fresh folder on the server for one test: its name, relative to the server's root."""
    name = str(request.node.name[:60])
    server.mkdir(server.path(name))
    return name


def keygen(*args: str) -> None:
    subprocess.run(["ssh-keygen", "-q", *args], check=True, stdout=subprocess.DEVNULL)


def transport(server: SftpServer, **overrides: Any) -> SftpFolders:
    options = SftpTransportOptions.model_validate(server.options(**overrides))
    return SftpFolders(options, Path("/"))


def payload(size: int) -> bytes:
    """Distinct bytes in every position, so that a misplaced block would show."""
    block = hashlib.sha256(b"claimbridge").digest() * 2048
    out = bytearray()
    n = 0
    while len(out) < size:
        out += n.to_bytes(8, "big") + block[:8184]
        n += 1
    return bytes(out[:size])


def publish(t: SftpFolders, folder: str, name: str, data: bytes) -> Any:
    with t.publish(folder, name) as (writer, upload):
        for start in range(0, len(data), 1 << 20):
            writer.write(data[start : start + (1 << 20)])
    return upload


# --- folders and files -----------------------------------------------------------------------


def test_files_round_trip_with_their_hash(server: SftpServer, folders: str) -> None:
    data = payload(3_000_000)
    t = transport(server)
    try:
        upload = publish(t, folders, "cases.csv", data)
        assert upload.bytes == len(data)
        assert upload.sha256 == hashlib.sha256(data).hexdigest()
        assert upload.location == (
            f"sftp://{server.user}@127.0.0.1:{server.port}{server.path(folders, 'cases.csv')}"
        )
        assert server.path(folders, "cases.csv").read_bytes() == data
        assert sorted(p.name for p in server.path(folders).iterdir()) == ["cases.csv"]
        with t.fetch(folders, "cases.csv") as copy:
            assert copy.sha256 == upload.sha256 and copy.size == len(data)
            assert copy.path.read_bytes() == data
            local = copy.path
        assert not local.exists()  # the local copy lives only for the block
    finally:
        t.close()


def test_listing_shows_regular_files_only(server: SftpServer, folders: str) -> None:
    base = server.path(folders)
    (base / "a.csv").write_text("a")
    (base / ".b.csv.part").write_text("in flight")
    server.mkdir(base / "archive")
    (base / "link.csv").symlink_to(base / "a.csv")
    t = transport(server)
    try:
        entries = t.list(folders)
    finally:
        t.close()
    assert [(e.name, e.size) for e in entries] == [("a.csv", 1)]
    assert abs(entries[0].mtime - (base / "a.csv").stat().st_mtime) < 1


def test_move_never_overwrites_an_archived_file(server: SftpServer, folders: str) -> None:
    base = server.path(folders)
    server.mkdir(base / "archive")
    (base / "archive" / "a.csv").write_text("earlier")
    (base / "a.csv").write_text("later")
    t = transport(server)
    try:
        moved = t.move(folders, "a.csv", f"{folders}/archive")
    finally:
        t.close()
    assert moved != "a.csv" and moved.startswith("a.") and moved.endswith(".csv")
    assert (base / "archive" / "a.csv").read_text() == "earlier"
    assert (base / "archive" / moved).read_text() == "later"


def test_move_creates_the_target_folder(server: SftpServer, folders: str) -> None:
    (server.path(folders) / "a.csv").write_text("x")
    t = transport(server)
    try:
        assert t.move(folders, "a.csv", f"{folders}/done/2026") == "a.csv"
    finally:
        t.close()
    assert server.path(folders, "done", "2026", "a.csv").read_text() == "x"


# --- atomic publishing -------------------------------------------------------------------------


def test_a_failure_while_producing_a_file_leaves_nothing_on_the_server(
    server: SftpServer, folders: str
) -> None:
    t = transport(server)
    try:
        with pytest.raises(RuntimeError), t.publish(folders, "handover.csv") as (writer, _):  # noqa: PT012
            writer.write(b"half a file")
            raise RuntimeError("the mapping failed on case 17")
    finally:
        t.close()
    assert list(server.path(folders).iterdir()) == []


def test_publishing_replaces_an_earlier_file_of_the_same_name(
    server: SftpServer, folders: str
) -> None:
    for posix_rename in (True, False):
        t = transport(server, posix_rename=posix_rename)
        try:
            publish(t, folders, "notices.csv", b"first\n")
            publish(t, folders, "notices.csv", b"second\n")
        finally:
            t.close()
        assert server.path(folders, "notices.csv").read_bytes() == b"second\n"
        assert [p.name for p in server.path(folders).iterdir()] == ["notices.csv"]


def test_a_part_file_left_by_an_earlier_process_is_restarted(
    server: SftpServer, folders: str
) -> None:
    stale = server.path(folders, ".handover_B1.csv.part")
    stale.write_bytes(b"garbage from a crashed run" * 1000)
    data = payload(100_000)
    t = transport(server)
    try:
        publish(t, folders, "handover_B1.csv", data)
    finally:
        t.close()
    assert server.path(folders, "handover_B1.csv").read_bytes() == data
    assert not stale.exists()


def test_a_dropped_connection_resumes_the_upload(
    server: SftpServer,
    folders: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = payload(12_000_000)
    interrupt_upload(monkeypatch, 3_000_000, server.drop_connections)
    t = transport(server)
    try:
        with caplog.at_level(logging.INFO, logger="connectors.files.sftp"):
            upload = publish(t, folders, "handover_B2.csv", data)
    finally:
        t.close()
    resumed = [r.getMessage() for r in caplog.records if "resuming the upload" in r.getMessage()]
    assert len(resumed) == 1
    at = int(resumed[0].split(" at byte ")[1].split()[0])
    assert 3_000_000 <= at < len(data)  # resumed, not restarted
    assert server.path(folders, "handover_B2.csv").read_bytes() == data
    assert upload.sha256 == hashlib.sha256(data).hexdigest()
    assert [p.name for p in server.path(folders).iterdir()] == ["handover_B2.csv"]


def test_an_upload_cut_by_a_dead_server_is_never_visible_and_completes_later(
    folders_server: SftpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = folders_server
    folder = "out"
    server.mkdir(server.path(folder))
    data = payload(8_000_000)
    interrupt_upload(monkeypatch, 2_000_000, server.kill)
    t = transport(server)
    try:
        with pytest.raises(ConnectionFailed) as failure:
            publish(t, folder, "handover_B3.csv", data)
        message = str(failure.value)
        assert "handover_B3.csv failed after 2 attempts (" in message
        assert "of 8000000 bytes sent; nothing published under that name)" in message
        assert "connection refused" in message
        # never under its final name; what arrived is an in-flight dotfile
        assert [p.name for p in server.path(folder).iterdir()] == [".handover_B3.csv.part"]
        server.start()
        monkeypatch.undo()
        publish(t, folder, "handover_B3.csv", data)
    finally:
        t.close()
    assert [p.name for p in server.path(folder).iterdir()] == ["handover_B3.csv"]
    assert server.path(folder, "handover_B3.csv").read_bytes() == data


@pytest.fixture
def folders_server() -> Iterator[SftpServer]:
    """A server of the test's own, for tests that kill it."""
    server = SftpServer()
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


# --- downloads -------------------------------------------------------------------------------


def test_a_dropped_connection_resumes_the_download(
    server: SftpServer,
    folders: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = payload(10_000_000)
    server.path(folders, "status.csv").write_bytes(data)
    interrupt_download(monkeypatch, 2_500_000, server.drop_connections)
    t = transport(server)
    try:
        with (
            caplog.at_level(logging.INFO, logger="connectors.files.sftp"),
            t.fetch(folders, "status.csv") as copy,
        ):
            assert copy.path.read_bytes() == data
            assert copy.sha256 == hashlib.sha256(data).hexdigest()
    finally:
        t.close()
    assert any("resuming the download" in r.getMessage() for r in caplog.records)


def test_a_download_cut_by_a_dead_server_fails_cleanly(
    folders_server: SftpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = folders_server
    server.mkdir(server.path("in"))
    server.path("in", "status.csv").write_bytes(payload(4_000_000))
    interrupt_download(monkeypatch, 1_000_000, server.kill)
    t = transport(server)
    try:
        with pytest.raises(ConnectionFailed) as failure, t.fetch("in", "status.csv"):
            pass
    finally:
        t.close()
    message = str(failure.value)
    assert message.startswith(f"download of {server.options()['kind']}://")
    assert "in/status.csv failed after 2 attempts (" in message
    assert "bytes received; the file stays in place): " in message
    assert "connection refused" in message
    assert server.path("in", "status.csv").stat().st_size == 4_000_000  # untouched


def test_a_file_that_changes_while_it_is_downloaded_is_refused_for_now(
    server: SftpServer, folders: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = server.path(folders, "open_items.csv")
    target.write_bytes(payload(2_000_000))

    def the_erp_writes_on() -> None:
        with target.open("ab") as handle:
            handle.write(b"more lines\n")

    interrupt_download(monkeypatch, 500_000, the_erp_writes_on)
    t = transport(server)
    try:
        with (
            pytest.raises(RetriableError, match="still being written"),
            t.fetch(folders, "open_items.csv"),
        ):
            pass
    finally:
        t.close()


def test_the_inbox_leaves_a_file_still_being_written_on_the_server(
    server: SftpServer, folders: str
) -> None:
    done = server.path(folders, "a.csv")
    done.write_text("complete\n")
    growing = server.path(folders, "b.csv")
    growing.write_text("half")
    stop = threading.Event()

    def writer() -> None:
        while not stop.wait(0.15):
            with growing.open("a") as handle:
                handle.write(" more")

    thread = threading.Thread(target=writer)
    thread.start()
    t = transport(server)
    try:
        inbox = Inbox(t, InboxOptions(folder=folders, pattern="*.csv", settle_seconds=1))
        assert [f.name for f in inbox.pending()] == ["a.csv"]
        stop.set()
        thread.join()
        time.sleep(0.1)
        files = {f.name: f for f in inbox.pending()}
        assert sorted(files) == ["a.csv", "b.csv"]
        files["a.csv"].settle(Outcome.PROCESSED)
        files["b.csv"].settle(Outcome.REJECTED, "line 1: not a CSV header")
    finally:
        t.close()
    assert server.path(folders, "archive", "a.csv").read_text() == "complete\n"
    assert (
        server.path(folders, "error", "b.csv.reason.txt").read_text()
        == "line 1: not a CSV header\n"
    )


# --- what can be wrong, precisely ------------------------------------------------------------


def test_an_unknown_host_key_is_refused_with_the_fingerprint_seen(
    server: SftpServer, tmp_path: Path
) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    t = transport(server, known_hosts=str(empty))
    with pytest.raises(AuthenticationFailed) as failure:
        t.list(".")
    message = str(failure.value)
    assert "host key unknown" in message and server.host_fingerprint in message
    assert f"[127.0.0.1]:{server.port}" in message


def test_a_changed_host_key_is_refused_naming_both_keys(server: SftpServer, tmp_path: Path) -> None:
    other = tmp_path / "other_key"
    keygen("-t", "ed25519", "-N", "", "-f", str(other))
    public = " ".join(Path(f"{other}.pub").read_text().split()[:2])
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{server.port} {public}\n")
    t = transport(server, known_hosts=str(known))
    with pytest.raises(AuthenticationFailed) as failure:
        t.list(".")
    message = str(failure.value)
    assert "HOST KEY CHANGED" in message and server.host_fingerprint in message
    assert "SHA256:" in message.split("lists")[1]


def test_a_pinned_fingerprint_is_enough_and_must_match(server: SftpServer) -> None:
    pinned = transport(server, known_hosts=None, host_key_fingerprint=server.host_fingerprint)
    try:
        assert pinned.check(".", writable=False).ok
    finally:
        pinned.close()
    wrong = "SHA256:" + "A" * 43
    t = transport(server, known_hosts=None, host_key_fingerprint=wrong)
    with pytest.raises(
        AuthenticationFailed, match="does not match the pinned fingerprint"
    ) as failure:
        t.list(".")
    assert server.host_fingerprint in str(failure.value) and wrong in str(failure.value)


def test_a_server_with_several_host_keys_is_asked_for_the_one_known() -> None:
    server = SftpServer(extra_host_keys=("rsa",))
    try:
        server.start()
        (rsa,) = server.extra_host_keys
        public = " ".join(Path(f"{rsa}.pub").read_text().split()[:2])
        only_rsa = server.folder / "known_hosts_rsa"
        only_rsa.write_text(f"[127.0.0.1]:{server.port} {public}\n")
        for known, kind in ((only_rsa, "ssh-rsa"), (server.known_hosts, "ssh-ed25519")):
            t = transport(server, known_hosts=str(known))
            try:
                result = t.check(".", writable=False)
            finally:
                t.close()
            assert result.ok, result.detail
            assert f"host key {kind} SHA256:" in result.detail
    finally:
        server.cleanup()


def test_a_refused_key_names_the_user_and_the_key(server: SftpServer, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger"
    keygen("-t", "ed25519", "-N", "", "-f", str(stranger))
    t = transport(server, private_key_file=str(stranger))
    with pytest.raises(AuthenticationFailed) as failure:
        t.list(".")
    message = str(failure.value)
    assert f"refused user {server.user!r}" in message
    assert "SHA256:" in message and "authorized_keys" in message


def test_a_key_given_as_text_with_its_passphrase(server: SftpServer, tmp_path: Path) -> None:
    protected = tmp_path / "protected"
    protected.write_bytes(server.client_key.read_bytes())
    protected.chmod(0o600)
    keygen("-p", "-N", "open sesame", "-f", str(protected))
    text = SecretValue(protected.read_text())
    t = transport(
        server,
        private_key_file=None,
        private_key=text,
        private_key_passphrase=SecretValue("open sesame"),
    )
    try:
        assert t.check(".", writable=False).ok
    finally:
        t.close()
    wrong = transport(
        server, private_key_file=str(protected), private_key_passphrase=SecretValue("guess")
    )
    with pytest.raises(AuthenticationFailed, match="passphrase") as failure:
        wrong.list(".")
    assert "guess" not in str(failure.value)
    missing = transport(server, private_key_file=str(protected))
    with pytest.raises(AuthenticationFailed, match="set private_key_passphrase"):
        missing.list(".")


def test_a_password_is_sent_only_when_configured_and_never_shown(server: SftpServer) -> None:
    t = transport(server, private_key_file=None, password=SecretValue("hunter2-secret"))
    with pytest.raises(AuthenticationFailed) as failure:
        t.list(".")
    assert "hunter2" not in str(failure.value)
    assert "password" in str(failure.value)


def test_name_resolution_refusal_and_silence_are_told_apart(server: SftpServer) -> None:
    unknown = transport(server, host="no-such-host.invalid")
    with pytest.raises(ConnectionFailed, match="cannot be resolved"):
        unknown.list(".")
    with socket_listening() as port:
        silent = transport(server, port=port, timeouts={"banner": 0.5, "connect": 2})
        with pytest.raises(ConnectionFailed, match=r"no SSH greeting within 0\.5 s"):
            silent.list(".")
    closed = transport(server, port=port)
    with pytest.raises(ConnectionFailed, match="connection refused"):
        closed.list(".")


@contextlib.contextmanager
def socket_listening() -> Iterator[int]:
    """A TCP port that accepts connections and says nothing (not an SSH server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_missing_folders_and_permissions_are_named(server: SftpServer, folders: str) -> None:
    base = server.path(folders)
    server.mkdir(base / "locked", mode=0o000)
    server.mkdir(base / "readonly")
    os.chown(base / "readonly", 0, 0)  # root's, readable by everyone, writable by root only
    t = transport(server)
    try:
        assert t.check(f"{folders}/missing", writable=True).detail == "does not exist on the server"
        assert (
            t.check(f"{folders}/locked", writable=False).detail
            == "cannot be listed (permission denied)"
        )
        assert t.check(f"{folders}/readonly", writable=False).ok
        assert (
            t.check(f"{folders}/readonly", writable=True).detail
            == "cannot be written (permission denied)"
        )
        with pytest.raises(ConfigurationError, match="permission denied"):
            t.list(f"{folders}/locked")
        # a delivery to a folder missing or not writable is retried later (a transport fault)
        with pytest.raises(Unavailable, match="does not exist"):
            publish(t, f"{folders}/missing", "x.csv", b"x")
        with pytest.raises(Unavailable, match="permission denied"):
            publish(t, f"{folders}/readonly", "x.csv", b"x")
        # the connection survives a refusal: the next request works
        assert t.check(folders, writable=True).ok
    finally:
        t.close()
        (base / "locked").chmod(0o755)


def test_stale_partial_uploads_of_ours_are_swept_from_the_server(
    server: SftpServer, folders: str
) -> None:
    base = server.path(folders)
    stale = base / ".writeback_20261119T080000000000Z_b00000003.csv.part"
    fresh = base / ".writeback_20261120T080000000000Z_b00000004.csv.part"
    foreign = base / ".import.csv.part"
    for path in (stale, fresh, foreign):
        path.write_bytes(b"half a file")
    an_hour_ago = time.time() - 3700
    for path in (stale, foreign):
        os.utime(path, (an_hour_ago, an_hour_ago))
    t = transport(server)
    try:
        removed = sweep_partials(t, folders, ("writeback_{timestamp}_{batch}.csv",), 3600)
    finally:
        t.close()
    assert removed == [stale.name]
    assert not stale.exists() and fresh.exists() and foreign.exists()
