"""Secrets in connector options: they come from the environment or a file, never from the
configuration file itself, and never reach a log, the transfer log or an error message.

In YAML a secret is written `password: !env SFTP_PASSWORD` or
`private_key_passphrase: !secret_file /run/secrets/key_pass`. A literal value is refused at
load with a message that says how to write it instead.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, SecretStr

__all__ = ["Secret", "SecretValue"]


class SecretValue(str):
    """A string the configuration loader read from the environment or a secret file."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "SecretValue('**********')"


def _from_outside(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value
    if isinstance(value, SecretValue):
        return SecretStr(str(value))
    raise ValueError(
        "a secret must not be written in the configuration file: "
        "use `!env VARIABLE` or `!secret_file /path/to/file`"
    )


Secret = Annotated[SecretStr, BeforeValidator(_from_outside)]
