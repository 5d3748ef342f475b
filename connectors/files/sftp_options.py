"""How a partner's SFTP server is configured: address, identity checks, credentials, timeouts.

Kept apart from the transport itself so that reading a configuration never imports paramiko.
"""

from __future__ import annotations

import posixpath
import re
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from connectors.secrets import Secret

__all__ = ["SftpTimeouts", "SftpTransportOptions"]

# OpenSSH's way of writing a key fingerprint: `ssh-keygen -lf`, `ssh-keyscan | ssh-keygen -lf -`.
FINGERPRINT = re.compile(r"^SHA256:[A-Za-z0-9+/]{43}=?$")


class SftpTimeouts(BaseModel):
    """Seconds each step may take before the attempt counts as failed (and is retried on the
    next run): a partner whose server hangs never blocks the gateway."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    connect: float = Field(default=15, gt=0, le=600, description="opening the TCP connection")
    banner: float = Field(default=15, gt=0, le=600, description="the server's SSH greeting")
    auth: float = Field(default=30, gt=0, le=600, description="authentication")
    channel: float = Field(default=30, gt=0, le=600, description="opening the SFTP session")
    operation: float = Field(
        default=60,
        gt=0,
        le=3600,
        description="any single request (list, read, write, rename) without an answer",
    )


class SftpTransportOptions(BaseModel):
    """Folders on a partner's SFTP server.

    The server's host key is always verified, against `known_hosts` and/or a pinned
    `host_key_fingerprint`; an unknown or changed key is refused. Authentication is by key
    (`private_key_file`, or the key text in `private_key` from `!env`/`!secret_file`); a
    `password` is used only when one is configured.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["sftp"]
    host: str = Field(min_length=1, description="server name or address")
    port: int = Field(default=22, ge=1, le=65535)
    username: str = Field(min_length=1)
    private_key_file: str | None = Field(
        default=None,
        description="private key (OpenSSH or PEM); relative to the configuration's folder",
    )
    private_key: Secret | None = Field(
        default=None, description="the private key's text, from !env or !secret_file"
    )
    private_key_passphrase: Secret | None = None
    password: Secret | None = Field(
        default=None, description="only for partners that insist on passwords"
    )
    known_hosts: str | None = Field(
        default=None,
        description="OpenSSH known_hosts file with the server's key; relative to the "
        "configuration's folder",
    )
    host_key_fingerprint: str | None = Field(
        default=None,
        description="the server key's SHA256 fingerprint as OpenSSH prints it (SHA256:...)",
    )
    root: str | None = Field(
        default=None,
        description="folder the configured folders are relative to (default: the login folder)",
    )
    stale_partials_after: float = Field(
        default=3600,
        ge=0,
        description="seconds after which a hidden partial file of ours (.NAME.part), left by "
        "an upload that was interrupted, is removed before the next upload to its folder (the "
        "server's file times against this machine's clock: keep it well above their skew)",
    )
    timeouts: SftpTimeouts = Field(default_factory=SftpTimeouts)
    keepalive_seconds: int = Field(
        default=30, ge=0, le=3600, description="SSH keepalive interval; 0 turns it off"
    )
    posix_rename: bool = Field(
        default=True,
        description="publish with the posix-rename@openssh.com extension (atomic replace); "
        "without it, or where the server lacks it, an existing file is removed first",
    )
    fsync: bool = Field(
        default=True,
        description="ask the server to flush an uploaded file to disk before it is renamed "
        "(fsync@openssh.com, where offered)",
    )
    transfer_attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        description="connections per file transfer when one drops; each resumes where the "
        "last stopped",
    )

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.known_hosts is None and self.host_key_fingerprint is None:
            raise ValueError(
                "the server's host key must be verified: set known_hosts (a file) or "
                "host_key_fingerprint (SHA256:...), or both"
            )
        if self.host_key_fingerprint is not None and not FINGERPRINT.match(
            self.host_key_fingerprint
        ):
            raise ValueError(
                "host_key_fingerprint must look like OpenSSH prints it: SHA256: and 43 "
                "base64 characters (ssh-keygen -lf KEY.pub)"
            )
        if self.private_key_file is not None and self.private_key is not None:
            raise ValueError("set private_key_file or private_key, not both")
        if self.private_key_file is None and self.private_key is None and self.password is None:
            raise ValueError("no credentials: set private_key_file (or private_key), or a password")
        return self

    @property
    def address(self) -> str:
        """`sftp://user@host:port`, as messages and the transfer log show it (no secret)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"sftp://{self.username}@{host}:{self.port}"

    def remote_path(self, folder: str, name: str = "") -> str:
        """A folder (or a file in it) on the server: relative folders start at `root`."""
        base = folder if posixpath.isabs(folder) or not self.root else f"{self.root}/{folder}"
        return posixpath.normpath(f"{base}/{name}" if name else base)
