"""SFTP options: what an integrator must write, and the errors when it is not there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.csv_sftp import CsvSourceOptions
from connectors.files import LocalFolders, SftpFolders, SftpTransportOptions, open_transport
from connectors.secrets import SecretValue
from gateway.config import ConfigError, load_config
from gateway.sample.init import init_folder
from tests.conftest import TODAY

FINGERPRINT = "SHA256:" + "q" * 43


def options(**values: Any) -> SftpTransportOptions:
    base: dict[str, Any] = {
        "kind": "sftp",
        "host": "sftp.partner.example",
        "username": "claimbridge",
        "private_key_file": "keys/id_ed25519",
        "known_hosts": "keys/known_hosts",
    }
    base.update(values)
    return SftpTransportOptions.model_validate({k: v for k, v in base.items() if v is not None})


def problems(**values: Any) -> list[str]:
    with pytest.raises(ValidationError) as failure:
        options(**values)
    return [e["msg"] for e in failure.value.errors()]


def test_the_host_key_must_be_verifiable() -> None:
    (message,) = problems(known_hosts=None)
    assert "host key must be verified" in message
    assert options(known_hosts=None, host_key_fingerprint=FINGERPRINT).known_hosts is None
    (bad,) = problems(host_key_fingerprint="MD5:aa:bb")
    assert "SHA256:" in bad


def test_credentials_are_a_key_or_an_explicit_password() -> None:
    (message,) = problems(private_key_file=None)
    assert "no credentials" in message
    (both,) = problems(private_key=SecretValue("-----BEGIN..."))
    assert "not both" in both
    only_password = options(private_key_file=None, password=SecretValue("s3cret"))
    assert only_password.password is not None
    assert "s3cret" not in repr(only_password)


def test_a_secret_written_in_the_file_is_refused() -> None:
    messages = problems(password="s3cret")
    assert any("must not be written in the configuration file" in m for m in messages)


def test_addresses_and_paths_on_the_server() -> None:
    plain = options(port=2222)
    assert plain.address == "sftp://claimbridge@sftp.partner.example:2222"
    assert plain.remote_path("inbox", "a.csv") == "inbox/a.csv"
    rooted = options(root="/home/partner/")
    assert rooted.remote_path("inbox/", "a.csv") == "/home/partner/inbox/a.csv"
    assert rooted.remote_path("/srv/drop") == "/srv/drop"
    assert options(host="::1").address == "sftp://claimbridge@[::1]:22"
    transport = SftpFolders(rooted, Path("/etc/claimbridge"))
    assert transport.location("in", "a.csv") == (
        "sftp://claimbridge@sftp.partner.example:22/home/partner/in/a.csv"
    )
    assert SftpFolders(plain, Path("/")).location("in") == (
        "sftp://claimbridge@sftp.partner.example:2222/~/in"
    )


def test_the_transport_is_chosen_by_kind() -> None:
    local = CsvSourceOptions.model_validate({"inbox": {"folder": "in"}})
    assert isinstance(open_transport(local.transport, Path(".")), LocalFolders)
    remote = CsvSourceOptions.model_validate(
        {
            "inbox": {"folder": "in"},
            "transport": {
                "kind": "sftp",
                "host": "h",
                "username": "u",
                "private_key_file": "k",
                "host_key_fingerprint": FINGERPRINT,
            },
        }
    )
    transport = open_transport(remote.transport, Path("."))
    assert isinstance(transport, SftpFolders) and transport.channel == "sftp"
    assert not transport.local_clock  # the inbox watches every file on a remote clock
    transport.close()  # never connected: nothing to close, no error


def test_config_errors_in_the_sftp_block_name_the_key_and_line(tmp_path: Path) -> None:
    config = init_folder(tmp_path / "site", TODAY)
    text = config.read_text().replace(
        "      inbox:\n        folder: erp/exports",
        "      transport:\n"
        "        kind: sftp\n"
        "        host: sftp.erp.example\n"
        "        port: 70000\n"
        "        username: claimbridge\n"
        "        password: hunter2\n"
        "      inbox:\n"
        "        folder: erp/exports",
        1,
    )
    config.write_text(text)
    lines = text.splitlines()
    with pytest.raises(ConfigError) as failure:
        load_config(config)
    shown = str(failure.value)

    def line_of(fragment: str) -> int:
        return next(n for n, row in enumerate(lines, 1) if fragment in row)

    assert f"line {line_of('port: 70000')}, sources.erp.options.transport.port:" in shown
    assert f"line {line_of('password: hunter2')}, sources.erp.options.transport.password:" in shown
    assert "hunter2" not in shown
