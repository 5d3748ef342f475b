"""Opening an SFTP session the safe way, and saying precisely why one could not be opened.

In order: resolve and connect (connect timeout), SSH handshake (banner timeout), verify the
server's host key against known_hosts and/or the pinned fingerprint *before* anything of ours
is sent, authenticate with the key (a password only where configured), open the SFTP channel
(channel timeout), set keepalive and the per-request timeout.

Every failure becomes a connector error with a message an integrator can act on and that holds
no secret: the host name that does not resolve, the port that refuses, the fingerprint the
server presented and the one expected, the user and key fingerprint that were refused.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import io
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import paramiko
from paramiko.ssh_exception import IncompatiblePeer

from connectors.base import (
    AuthenticationFailed,
    ConfigurationError,
    ConnectionFailed,
    ConnectorError,
    RetriableError,
)
from connectors.files.sftp_options import SftpTransportOptions
from connectors.files.sftp_pipeline import ServerLimits, server_limits

__all__ = ["SftpSession", "fingerprint_of", "open_session", "sftp_errors"]

# Flow control: the server may send this much before we acknowledge it. Larger than the bytes a
# pipelined download keeps in flight, so that the window never stalls a transfer.
WINDOW_BYTES = 16 << 20


@dataclass(slots=True)
class SftpSession:
    """A verified, authenticated SFTP session."""

    transport: paramiko.Transport
    sftp: paramiko.SFTPClient
    host_key: str  # type and fingerprint, e.g. "ssh-ed25519 SHA256:..."
    limits: ServerLimits

    @property
    def alive(self) -> bool:
        return self.transport.is_active()

    def close(self) -> None:
        # The connection may be gone already; closing it is all we wanted.
        with contextlib.suppress(OSError, EOFError, paramiko.SSHException):
            self.sftp.close()
        self.transport.close()


def fingerprint_of(key: paramiko.PKey) -> str:
    """A key's fingerprint as OpenSSH prints it (`SHA256:` + unpadded base64)."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def open_session(options: SftpTransportOptions, base_dir: Path) -> SftpSession:
    """Connect, verify the host key, authenticate and open SFTP.

    Raises:
        ConnectionFailed: the name does not resolve, the port refuses or does not answer, the
            connection dropped during the handshake.
        AuthenticationFailed: the host key is unknown, changed or not the pinned one; the
            server refused the user's key or password; the key's passphrase is wrong.
        ConfigurationError: a key or known_hosts file cannot be read; the server offers no
            SFTP; no algorithm in common.
    """
    address = options.address
    timeouts = options.timeouts
    known = _known_keys(options, base_dir)
    pkey = _private_key(options, base_dir)
    sock = _connect_socket(options)
    transport = paramiko.Transport(sock)
    try:
        transport.banner_timeout = timeouts.banner
        transport.handshake_timeout = timeouts.banner + timeouts.auth
        transport.auth_timeout = timeouts.auth
        transport.channel_timeout = timeouts.channel
        if known:
            # Ask for a key type we can check first (a server with several keys would otherwise
            # present one known_hosts does not list, which would look like a changed key).
            security = transport.get_security_options()
            offered = list(security.key_types)
            wanted = {algorithm for kind in known for algorithm in _ALGORITHMS.get(kind, (kind,))}
            security.key_types = [t for t in offered if t in wanted] + [
                t for t in offered if t not in wanted
            ]
        try:
            transport.start_client(timeout=timeouts.banner + timeouts.auth)
        except paramiko.SSHException as exc:
            raise _handshake_error(address, exc, timeouts.banner) from None
        except (OSError, EOFError) as exc:
            raise ConnectionFailed(
                f"{address}: the connection dropped during the SSH handshake ({_reason(exc)})"
            ) from None
        host_key = _verify_host_key(options, transport, known)
        _authenticate(options, transport, pkey)
        if options.keepalive_seconds:
            transport.set_keepalive(options.keepalive_seconds)
        sftp = _open_sftp(options, transport)
        limits = server_limits(sftp)
        return SftpSession(transport, sftp, host_key, limits)
    except BaseException:
        transport.close()
        raise


# --- steps ---------------------------------------------------------------------------------

# known_hosts names an RSA key "ssh-rsa"; the algorithms that prove it are these.
_ALGORITHMS = {"ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")}


def _connect_socket(options: SftpTransportOptions) -> socket.socket:
    host, port, address = options.host, options.port, options.address
    timeout = options.timeouts.connect
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConnectionFailed(
            f"{address}: the host name {host!r} cannot be resolved ({exc.strerror}); "
            "check the name and this machine's DNS"
        ) from None
    last: OSError | None = None
    for family, kind, proto, _, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        sock.settimeout(timeout)
        try:
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            last = exc
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    if isinstance(last, ConnectionRefusedError):
        raise ConnectionFailed(
            f"{address}: connection refused (nothing listens on port {port} of {host}, or a "
            "firewall rejects it)"
        )
    if isinstance(last, TimeoutError):
        raise ConnectionFailed(
            f"{address}: no answer within {timeout:g} s (connect timeout): the server is down "
            "or a firewall drops the connection"
        )
    raise ConnectionFailed(f"{address}: cannot connect ({_reason(last)})")


def _handshake_error(address: str, exc: paramiko.SSHException, banner: float) -> ConnectorError:
    text = str(exc)
    if "banner" in text.lower():
        return ConnectionFailed(
            f"{address}: no SSH greeting within {banner:g} s (banner timeout): is this port an "
            "SSH server, and is it overloaded?"
        )
    if isinstance(exc, IncompatiblePeer) or "incompatible" in text.lower():
        return ConfigurationError(
            f"{address}: the server and claimbridge have no SSH algorithm in common ({text})"
        )
    return ConnectionFailed(f"{address}: SSH handshake failed ({text})")


def _known_keys(options: SftpTransportOptions, base_dir: Path) -> dict[str, paramiko.PKey]:
    """The server's keys (by type) listed in known_hosts; empty if the file has none."""
    if options.known_hosts is None:
        return {}
    path = _local_path(options.known_hosts, base_dir)
    try:
        hosts = paramiko.HostKeys(str(path))
    except OSError as exc:
        raise ConfigurationError(
            f"{options.address}: the known_hosts file {path} cannot be read ({_reason(exc)})"
        ) from None
    except (paramiko.SSHException, ValueError) as exc:
        raise ConfigurationError(
            f"{options.address}: the known_hosts file {path} is not valid ({exc})"
        ) from None
    for name in _host_names(options):
        entry = hosts.lookup(name)
        if entry:
            return dict(entry.items())
    return {}


def _host_names(options: SftpTransportOptions) -> list[str]:
    """How known_hosts names the server (OpenSSH writes `[host]:port` for other ports)."""
    return [options.host] if options.port == 22 else [f"[{options.host}]:{options.port}"]


def _verify_host_key(
    options: SftpTransportOptions, transport: paramiko.Transport, known: dict[str, paramiko.PKey]
) -> str:
    key = transport.get_remote_server_key()
    seen = fingerprint_of(key)
    kind = key.get_name()
    described = f"{kind} {seen}"
    address = options.address
    if options.known_hosts is not None:
        expected = known.get(kind)
        if expected is None and not known:
            if options.host_key_fingerprint is None:
                raise AuthenticationFailed(
                    f"{address}: host key unknown: the server presented {described}, and "
                    f"{options.known_hosts} has no key for {_host_names(options)[0]}. Confirm "
                    "the fingerprint with the partner (not from this message alone), then add "
                    "the key to known_hosts or pin host_key_fingerprint"
                )
        elif expected is None or expected.asbytes() != key.asbytes():
            listed = ", ".join(f"{k.get_name()} {fingerprint_of(k)}" for k in known.values())
            raise AuthenticationFailed(
                f"{address}: HOST KEY CHANGED: the server presented {described}, but "
                f"{options.known_hosts} lists {listed}. This can be a reinstalled server or "
                "someone in the middle: confirm with the partner before changing known_hosts"
            )
    pinned = options.host_key_fingerprint
    if pinned is not None and pinned.rstrip("=") != seen:
        raise AuthenticationFailed(
            f"{address}: host key does not match the pinned fingerprint: the server presented "
            f"{described}, host_key_fingerprint is {pinned}. Confirm with the partner before "
            "changing the pin"
        )
    return described


def _private_key(options: SftpTransportOptions, base_dir: Path) -> paramiko.PKey | None:
    passphrase = (
        options.private_key_passphrase.get_secret_value()
        if options.private_key_passphrase is not None
        else None
    )
    if options.private_key_file is not None:
        path = _local_path(options.private_key_file, base_dir)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigurationError(
                f"{options.address}: the private key file {path} cannot be read ({_reason(exc)})"
            ) from None
        origin = f"the private key file {path}"
    elif options.private_key is not None:
        data = options.private_key.get_secret_value().encode("utf-8")
        origin = "the private key given in private_key"
    else:
        return None
    return _load_key(data, passphrase, origin, options.address)


def _load_key(data: bytes, passphrase: str | None, origin: str, address: str) -> paramiko.PKey:
    """An Ed25519, ECDSA or RSA key in OpenSSH or PEM format, as `PKey.from_path` reads a file,
    but from memory: a key given as text never touches the disk."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    secret = passphrase.encode("utf-8") if passphrase else None
    loaded: object
    try:
        try:
            loaded = serialization.load_ssh_private_key(data, password=secret)
        except ValueError as exc:
            if "not openssh" not in str(exc).lower():
                raise
            loaded = serialization.load_pem_private_key(data, password=secret)
    except TypeError:
        # cryptography says TypeError when a passphrase is missing, or given for a plain key
        raise AuthenticationFailed(
            f"{address}: {origin} "
            + (
                "is protected by a passphrase: set private_key_passphrase"
                if passphrase is None
                else "is not protected by a passphrase: remove private_key_passphrase"
            )
        ) from None
    except ValueError:
        # With a passphrase, cryptography cannot tell a wrong one from a damaged file.
        raise (
            AuthenticationFailed(
                f"{address}: {origin} cannot be decrypted: the passphrase is wrong (or the key "
                "is damaged)"
            )
            if passphrase
            else ConfigurationError(f"{address}: {origin} is not a private key SSH can use")
        ) from None
    except paramiko.SSHException as exc:
        raise ConfigurationError(f"{address}: {origin} cannot be used ({exc})") from None
    text = data.decode("utf-8", "replace")
    key_class: type[paramiko.PKey]
    if isinstance(loaded, ed25519.Ed25519PrivateKey):
        key_class = paramiko.Ed25519Key
    elif isinstance(loaded, ec.EllipticCurvePrivateKey):
        key_class = paramiko.ECDSAKey
    elif isinstance(loaded, rsa.RSAPrivateKey):
        key_class = paramiko.RSAKey
    else:
        raise ConfigurationError(
            f"{address}: {origin} is a {type(loaded).__name__}; SSH keys here are Ed25519, "
            "ECDSA or RSA"
        )
    try:
        return key_class.from_private_key(io.StringIO(text), password=passphrase)
    except paramiko.SSHException as exc:
        raise ConfigurationError(f"{address}: {origin} cannot be used ({exc})") from None


def _authenticate(
    options: SftpTransportOptions, transport: paramiko.Transport, pkey: paramiko.PKey | None
) -> None:
    address, user = options.address, options.username
    refusals: list[str] = []
    if pkey is not None:
        try:
            further = transport.auth_publickey(user, pkey)
        except paramiko.BadAuthenticationType as exc:
            refusals.append(
                f"the server does not accept keys for {user} (it allows: "
                f"{', '.join(exc.allowed_types) or 'nothing'})"
            )
        except paramiko.AuthenticationException:
            refusals.append(
                f"the server refused user {user!r} with key {pkey.get_name()} "
                f"{fingerprint_of(pkey)} (is its public key in the account's authorized_keys?)"
            )
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise _auth_dropped(address, exc, options.timeouts.auth) from None
        else:
            _no_second_factor(address, further)
            return
    if options.password is not None:
        try:
            further = transport.auth_password(user, options.password.get_secret_value())
        except paramiko.BadAuthenticationType as exc:
            refusals.append(
                f"the server does not accept passwords for {user} (it allows: "
                f"{', '.join(exc.allowed_types) or 'nothing'})"
            )
        except paramiko.AuthenticationException:
            refusals.append(f"the server refused the password of user {user!r}")
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise _auth_dropped(address, exc, options.timeouts.auth) from None
        else:
            _no_second_factor(address, further)
            return
    raise AuthenticationFailed(f"{address}: authentication failed: {'; '.join(refusals)}")


def _no_second_factor(address: str, further: list[str]) -> None:
    if further:
        raise AuthenticationFailed(
            f"{address}: the server asks for more after the first credential "
            f"({', '.join(further)}); claimbridge authenticates with one key or one password"
        )


def _auth_dropped(address: str, exc: BaseException, timeout: float) -> ConnectorError:
    if "timeout" in str(exc).lower() or isinstance(exc, TimeoutError):
        return ConnectionFailed(f"{address}: no answer to authentication within {timeout:g} s")
    return ConnectionFailed(
        f"{address}: the connection dropped during authentication ({_reason(exc)})"
    )


def _open_sftp(options: SftpTransportOptions, transport: paramiko.Transport) -> paramiko.SFTPClient:
    address, timeouts = options.address, options.timeouts
    try:
        channel = transport.open_session(window_size=WINDOW_BYTES, timeout=timeouts.channel)
        channel.settimeout(timeouts.operation)
        channel.invoke_subsystem("sftp")
        return paramiko.SFTPClient(channel)
    except paramiko.ChannelException as exc:
        raise ConfigurationError(
            f"{address}: the server refused a session for SFTP ({exc.text})"
        ) from None
    except (paramiko.SSHException, EOFError) as exc:
        if not transport.is_active():
            raise ConnectionFailed(
                f"{address}: the connection dropped while opening SFTP ({_reason(exc)})"
            ) from None
        raise ConfigurationError(
            f"{address}: the server offers no SFTP to user {options.username!r} ({_reason(exc)})"
        ) from None
    except TimeoutError:
        raise ConnectionFailed(
            f"{address}: SFTP session not opened within {timeouts.channel:g} s"
        ) from None
    except OSError as exc:
        raise ConnectionFailed(f"{address}: cannot open SFTP ({_reason(exc)})") from None


# --- errors during file operations ---------------------------------------------------------


@contextmanager
def sftp_errors(
    what: str, connected: Callable[[], bool], operation_timeout: float
) -> Iterator[None]:
    """Turn what paramiko and the socket raise while doing `what` (e.g. "cannot list folder
    sftp://u@h:22/in") into connector errors; `connected` tells whether the connection is
    still up."""
    try:
        yield
    except ConnectorError:
        raise
    except FileNotFoundError:
        raise ConfigurationError(f"{what}: no such file or folder on the server") from None
    except PermissionError:
        raise ConfigurationError(f"{what}: permission denied by the server") from None
    except TimeoutError:
        raise ConnectionFailed(
            f"{what}: no answer within {operation_timeout:g} s (operation timeout)"
        ) from None
    except (paramiko.SSHException, EOFError) as exc:
        raise ConnectionFailed(f"{what}: connection lost ({_reason(exc)})") from None
    except OSError as exc:
        if not connected() or exc.errno in _NETWORK_ERRNOS:
            raise ConnectionFailed(f"{what}: connection lost ({_reason(exc)})") from None
        # An SFTP status without a precise code ("Failure"): the server refused the request
        # for a reason of its own (disk full, quota, a lock); worth another try later.
        raise RetriableError(f"{what}: the server refused ({_reason(exc)})") from None


_NETWORK_ERRNOS = {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED, errno.ENOTCONN}


def _local_path(name: str, base_dir: Path) -> Path:
    path = Path(name).expanduser()
    return path if path.is_absolute() else base_dir / path


def _reason(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown reason"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc).rstrip(": ") or type(exc).__name__
