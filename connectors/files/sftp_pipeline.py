"""Pipelined SFTP reads and writes: many requests in flight, a bounded number of bytes.

SFTP answers each request separately, so a transfer that waits for every answer spends its
time on round trips. paramiko pipelines too, but its downloads (`prefetch`) are fetched by a
helper thread that can finish "early" when answers outrun requests, after which every further
read is one round trip (we measured 10-20x slower downloads at random); its uploads keep no
bound on the requests in flight. So the two loops here drive paramiko's SFTP client directly,
through the two internal calls all of its own file methods use (`_async_request`,
`_read_response`, and `_request` for the two extensions): requests are sent while fewer than
`*_IN_FLIGHT` bytes are unanswered, and answers are taken in order. They are the only uses of
paramiko internals in claimbridge; the SFTP tests exercise them against OpenSSH and asyncssh.
After a failure in the middle of a transfer, answers to requests in flight may still come: the
caller discards the session.

Request sizes follow the server's stated limits (`limits@openssh.com`); a server that states
none gets 32 KiB requests, the size every SFTP server must accept.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

import paramiko
from paramiko.sftp import (
    CMD_DATA,
    CMD_EXTENDED,
    CMD_EXTENDED_REPLY,
    CMD_READ,
    CMD_STATUS,
    CMD_WRITE,
    int64,
)

__all__ = ["ServerLimits", "UnexpectedEnd", "fsync", "read_range", "server_limits", "write_from"]

SAFE_REQUEST = 32 * 1024
# Measured on loopback against OpenSSH 9.2 (tests/benchmarks/sftp.py): 128 KiB requests with a
# few MiB in flight move the most per second with paramiko; larger ones cost more in copying
# than they save in round trips.
MAX_REQUEST = 128 * 1024
READ_IN_FLIGHT = 4 << 20
WRITE_IN_FLIGHT = 8 << 20


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """How large a read or write request may be, and which optional requests the server has."""

    read: int = SAFE_REQUEST
    write: int = SAFE_REQUEST
    stated: bool = False  # the server stated its limits (OpenSSH 8.6 and later)


class UnexpectedEnd(Exception):
    """The file ended before the expected size: it shrank while it was read."""


class _Answers:
    """Collects answers that arrive while another one is awaited (paramiko hands them to the
    object registered with the request)."""

    def __init__(self) -> None:
        self.early: dict[int, tuple[int, paramiko.Message]] = {}

    def _async_response(self, kind: int, message: paramiko.Message, number: int) -> None:
        self.early[number] = (kind, message)


def _client(sftp: paramiko.SFTPClient) -> Any:
    # paramiko's internal request calls are untyped; keep the cast in one place.
    return cast(Any, sftp)


def _answer(sftp: paramiko.SFTPClient, answers: _Answers, number: int) -> tuple[int, Any]:
    """The answer to request `number`: raises OSError/EOFError for an error status."""
    early = answers.early.pop(number, None)
    if early is not None:
        kind, message = early
        if kind == CMD_STATUS:
            _client(sftp)._convert_status(message)
        return kind, message
    kind, message = _client(sftp)._read_response(number)
    return int(kind), message


def server_limits(sftp: paramiko.SFTPClient) -> ServerLimits:
    """The request sizes the server accepts, from `limits@openssh.com` where it has it."""
    try:
        kind, message = _client(sftp)._request(CMD_EXTENDED, "limits@openssh.com")
    except (OSError, EOFError):
        return ServerLimits()  # not supported: the safe sizes
    if kind != CMD_EXTENDED_REPLY:
        return ServerLimits()
    message.get_int64()  # max packet length
    read, write = message.get_int64(), message.get_int64()
    return ServerLimits(
        read=max(SAFE_REQUEST, min(MAX_REQUEST, read or SAFE_REQUEST)),
        write=max(SAFE_REQUEST, min(MAX_REQUEST, write or SAFE_REQUEST)),
        stated=True,
    )


def read_range(
    sftp: paramiko.SFTPClient,
    handle: paramiko.SFTPFile,
    start: int,
    end: int,
    request: int,
    sink: Callable[[bytes], object],
) -> int:
    """Read bytes [start, end) of an open remote file into `sink`, in order; returns the
    number of bytes read.

    Raises:
        UnexpectedEnd: the file is shorter than `end`.
        OSError, EOFError, paramiko.SSHException: the request or the connection failed.
    """
    client, answers = _client(sftp), _Answers()
    depth = max(4, READ_IN_FLIGHT // request)
    waiting: deque[tuple[int, int, int]] = deque()
    offset = done = start
    while done < end:
        while offset < end and len(waiting) < depth:
            size = min(request, end - offset)
            number = client._async_request(
                answers, CMD_READ, handle.handle, int64(offset), int(size)
            )
            waiting.append((number, offset, size))
            offset += size
        number, at, size = waiting.popleft()
        data = _data(sftp, answers, number, at)
        sink(data)
        done += len(data)
        if len(data) < size:
            # A short read (the server caps its answers): fetch the rest of this range
            # before taking the answers to the later requests, to keep the order.
            done = _rest(sftp, answers, handle, at + len(data), at + size, sink, done)
    return done - start


def _data(sftp: paramiko.SFTPClient, answers: _Answers, number: int, at: int) -> bytes:
    try:
        kind, message = _answer(sftp, answers, number)
    except EOFError:
        raise UnexpectedEnd(f"the file ends before byte {at}") from None
    if kind != CMD_DATA:
        raise paramiko.SSHException(f"unexpected answer {kind} to a read request")
    return bytes(message.get_string())


def _rest(
    sftp: paramiko.SFTPClient,
    answers: _Answers,
    handle: paramiko.SFTPFile,
    start: int,
    end: int,
    sink: Callable[[bytes], object],
    done: int,
) -> int:
    client = _client(sftp)
    while start < end:
        number = client._async_request(
            answers, CMD_READ, handle.handle, int64(start), int(end - start)
        )
        data = _data(sftp, answers, number, start)
        if not data:
            raise UnexpectedEnd(f"the file ends before byte {start}")
        sink(data)
        start += len(data)
        done += len(data)
    return done


def write_from(
    sftp: paramiko.SFTPClient,
    handle: paramiko.SFTPFile,
    source: BinaryIO,
    start: int,
    request: int,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Write what `source` holds from its current position to the remote file, starting at
    offset `start`; returns the number of bytes written (all acknowledged by the server).

    Raises:
        OSError, EOFError, paramiko.SSHException: a write or the connection failed.
    """
    client, answers = _client(sftp), _Answers()
    depth = max(4, WRITE_IN_FLIGHT // request)
    waiting: deque[tuple[int, int]] = deque()
    offset = acknowledged = start
    while True:
        block = source.read(request)
        if block:
            number = client._async_request(answers, CMD_WRITE, handle.handle, int64(offset), block)
            waiting.append((number, len(block)))
            offset += len(block)
        if waiting and (len(waiting) >= depth or not block):
            number, size = waiting.popleft()
            _answer(sftp, answers, number)
            acknowledged += size
            if progress is not None:
                progress(acknowledged)
        elif not block:
            return acknowledged - start


def fsync(sftp: paramiko.SFTPClient, handle: paramiko.SFTPFile) -> bool:
    """Ask the server to flush the file to disk (`fsync@openssh.com`); False where the server
    does not offer it."""
    try:
        _client(sftp)._request(CMD_EXTENDED, "fsync@openssh.com", handle.handle)
    except OSError as exc:
        if "unsupported" in str(exc).lower():
            return False
        raise
    return True
