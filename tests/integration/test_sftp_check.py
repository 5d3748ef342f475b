"""`claimbridge check NAME` on SFTP partners: it says precisely what is wrong, the way an
integrator needs to hear it, and never shows a secret."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gateway.cli import main
from tests.conftest import Workspace
from tests.integration.sftp_setup import edit_config, use_sftp
from tests.sftp_server import SftpServer


@pytest.fixture
def server() -> Iterator[SftpServer]:
    server = SftpServer()
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def remote(workspace: Workspace, server: SftpServer, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("CLAIMBRIDGE_DATABASE_URL", workspace.database_url)
    use_sftp(workspace, server)
    return workspace


def check(workspace: Workspace, name: str) -> Result:
    return CliRunner().invoke(
        main, ["-c", str(workspace.config_path), "check", name], catch_exceptions=False
    )


def new_key(folder: Path, name: str) -> Path:
    path = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path


def test_a_working_partner_shows_every_folder_and_the_verified_host_key(
    remote: Workspace, server: SftpServer
) -> None:
    result = check(remote, "erp")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    address = f"sftp://{server.user}@127.0.0.1:{server.port}{server.root}"
    assert lines[0].startswith(f"ok   source erp: folder {address}/erp/exports: readable and")
    assert f"host key ssh-ed25519 {server.host_fingerprint} verified" in lines[0]
    assert (
        lines[1]
        == f"ok   write-back erp: folder {address}/erp/writeback: readable and writable"
        + (lines[1].split("writable", 1)[1])
    )
    agency = check(remote, "acme")
    assert agency.exit_code == 0, agency.output
    assert f"{address}/agency/to-agency" in agency.output
    assert f"{address}/agency/from-agency" in agency.output
    assert not [p for p in server.root.rglob(".claimbridge-check-*")]  # probes cleaned up


def test_a_name_that_does_not_resolve(remote: Workspace, server: SftpServer) -> None:
    edit_config(remote, server.options(host="sftp.partner.invalid"))
    result = check(remote, "erp")
    assert result.exit_code == 1
    assert (
        f"FAIL source erp: connection: sftp://{server.user}@sftp.partner.invalid:{server.port}: "
        "the host name 'sftp.partner.invalid' cannot be resolved"
    ) in result.output


def test_a_server_that_refuses_the_connection(remote: Workspace, server: SftpServer) -> None:
    server.kill()
    result = check(remote, "acme")
    assert result.exit_code == 1
    assert (
        f"FAIL agency acme: connection: sftp://{server.user}@127.0.0.1:{server.port}: "
        f"connection refused (nothing listens on port {server.port} of 127.0.0.1"
    ) in result.output


def test_an_unknown_host_key_shows_the_fingerprint_presented(
    remote: Workspace, server: SftpServer, tmp_path: Path
) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    edit_config(remote, server.options(known_hosts=str(empty)))
    result = check(remote, "erp")
    assert result.exit_code == 1
    assert "host key unknown: the server presented ssh-ed25519 " + server.host_fingerprint in (
        result.output
    )


def test_a_changed_host_key_shows_both_fingerprints(
    remote: Workspace, server: SftpServer, tmp_path: Path
) -> None:
    impostor = new_key(tmp_path, "impostor")
    public = " ".join(Path(f"{impostor}.pub").read_text().split()[:2])
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{server.port} {public}\n")
    expected = subprocess.run(
        ["ssh-keygen", "-lf", f"{impostor}.pub"], check=True, capture_output=True, text=True
    ).stdout.split()[1]
    edit_config(remote, server.options(known_hosts=str(known)))
    result = check(remote, "acme")
    assert result.exit_code == 1
    assert f"HOST KEY CHANGED: the server presented ssh-ed25519 {server.host_fingerprint}" in (
        result.output
    )
    assert f"lists ssh-ed25519 {expected}" in result.output


def test_a_refused_key_and_a_refused_password(
    remote: Workspace, server: SftpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stranger = new_key(tmp_path, "stranger")
    edit_config(remote, server.options(private_key_file=str(stranger)))
    result = check(remote, "erp")
    assert result.exit_code == 1
    fingerprint = subprocess.run(
        ["ssh-keygen", "-lf", f"{stranger}.pub"], check=True, capture_output=True, text=True
    ).stdout.split()[1]
    assert (
        f"authentication failed: the server refused user {server.user!r} with key "
        f"ssh-ed25519 {fingerprint}"
    ) in result.output

    monkeypatch.setenv("PARTNER_SFTP_PASSWORD", "correct horse battery staple")
    edit_config(remote, server.options(private_key_file=None))
    config = re.sub(
        r"^( +)username: (.*)$",
        r"\1username: \2\n\1password: !env PARTNER_SFTP_PASSWORD",
        remote.config_path.read_text(),
        flags=re.MULTILINE,
    )
    remote.config_path.write_text(config)
    result = check(remote, "erp")
    assert result.exit_code == 1
    assert "authentication failed: the server does not accept passwords" in result.output
    assert "correct horse" not in result.output


def test_missing_folders_and_folders_without_permission(
    remote: Workspace, server: SftpServer
) -> None:
    server.path("erp", "writeback").rmdir()
    server.path("erp", "exports").chmod(0o000)
    os.chown(server.path("agency", "to-agency"), 0, 0)
    try:
        erp = check(remote, "erp")
        acme = check(remote, "acme")
    finally:
        server.path("erp", "exports").chmod(0o755)
    assert erp.exit_code == acme.exit_code == 1
    base = f"sftp://{server.user}@127.0.0.1:{server.port}{server.root}"
    assert (
        f"FAIL source erp: folder {base}/erp/exports: cannot be listed (permission denied)"
        in erp.output
    )
    assert (
        f"FAIL write-back erp: folder {base}/erp/writeback: does not exist on the server"
        in erp.output
    )
    assert (
        f"FAIL agency acme: folder {base}/agency/to-agency: cannot be written "
        "(permission denied)" in acme.output
    )
    assert f"ok   agency acme: folder {base}/agency/from-agency" in acme.output
