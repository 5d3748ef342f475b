"""An SFTP server made with asyncssh, for machines without OpenSSH's sshd (see
tests/sftp_server.py). It serves the real file system, verifies the client's key against an
authorized_keys file, and drops every open connection on SIGUSR1 while it goes on listening
(what killing sshd's session processes does).

With `--as-user NAME` (when it runs as root), its SFTP handler grants what the file modes grant
that user and refuses the rest with "permission denied", and what it creates belongs to that
user: the permissions a partner's account has on a real server, which root would bypass.

    python -m tests.asyncssh_server --port 2222 --host-key KEY --authorized-keys FILE
"""

from __future__ import annotations

import argparse
import asyncio
import os
import posixpath
import pwd
import signal
from collections.abc import AsyncIterator
from typing import Any

import asyncssh
from asyncssh.sftp import FXF_CREAT, FXF_TRUNC, FXF_WRITE

R, W, X = 4, 2, 1


class _UserSftp(asyncssh.SFTPServer):
    """The SFTP handler acting for one (non-root) user, enforcing the file modes."""

    uid = gid = -1

    def _may(self, path: bytes, want: int) -> None:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise asyncssh.SFTPNoSuchFile("No such file") from None
        if st.st_uid == self.uid:
            bits = (st.st_mode >> 6) & 7
        elif st.st_gid == self.gid:
            bits = (st.st_mode >> 3) & 7
        else:
            bits = st.st_mode & 7
        if bits & want != want:
            raise asyncssh.SFTPPermissionDenied("Permission denied")

    def _reach(self, path: bytes) -> None:
        """Search permission on every folder above `path`."""
        parent = posixpath.dirname(os.path.abspath(path))
        parts = parent.split(b"/")
        for n in range(1, len(parts) + 1):
            folder = b"/".join(parts[:n]) or b"/"
            self._may(folder, X)

    def _change_in(self, path: bytes) -> None:
        self._reach(path)
        self._may(posixpath.dirname(os.path.abspath(path)), W | X)

    def _own(self, path: bytes) -> None:
        os.chown(path, self.uid, self.gid)

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        self._reach(path)
        exists = os.path.exists(path)
        if not exists and pflags & FXF_CREAT:
            self._change_in(path)
        elif exists:
            self._may(path, (W if pflags & (FXF_WRITE | FXF_TRUNC) else 0) | R)
        handle = super().open(path, pflags, attrs)
        if not exists:
            self._own(path)
        return handle

    async def scandir(self, path: bytes) -> AsyncIterator[asyncssh.SFTPName]:
        self._reach(path)
        self._may(path, R | X)
        async for name in super().scandir(path):
            yield name

    def stat(self, path: bytes) -> Any:
        self._reach(path)
        return super().stat(path)

    def lstat(self, path: bytes) -> Any:
        self._reach(path)
        return super().lstat(path)

    def remove(self, path: bytes) -> None:
        self._change_in(path)
        super().remove(path)

    def rename(self, oldpath: bytes, newpath: bytes) -> None:
        self._change_in(oldpath)
        self._change_in(newpath)
        super().rename(oldpath, newpath)

    def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        self._change_in(oldpath)
        self._change_in(newpath)
        super().posix_rename(oldpath, newpath)

    def mkdir(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        self._change_in(path)
        super().mkdir(path, attrs)
        self._own(path)


class _Server(asyncssh.SSHServer):
    connections: set[asyncssh.SSHServerConnection] = set()  # noqa: RUF012

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        _Server.connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        _Server.connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        return True  # every login needs a key from authorized_keys

    def public_key_auth_supported(self) -> bool:
        return True


async def _serve(port: int, host_keys: list[str], authorized_keys: str, as_user: str) -> None:
    sftp: Any = True
    if as_user:
        account = pwd.getpwnam(as_user)
        sftp = type("UserSftp", (_UserSftp,), {"uid": account.pw_uid, "gid": account.pw_gid})
    server = await asyncssh.listen(
        "127.0.0.1",
        port,
        server_factory=_Server,
        server_host_keys=host_keys,
        authorized_client_keys=authorized_keys,
        sftp_factory=sftp,
        allow_scp=False,
        # refuse everything but SFTP, like `Subsystem sftp internal-sftp` with no shell
        process_factory=None,
    )

    def drop() -> None:
        for conn in list(_Server.connections):
            conn.abort()

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, drop)
    await server.wait_closed()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host-key", required=True, action="append")
    parser.add_argument("--authorized-keys", required=True)
    parser.add_argument("--as-user", default="")
    args = parser.parse_args()
    asyncio.run(_serve(args.port, args.host_key, args.authorized_keys, args.as_user))


if __name__ == "__main__":
    main()
