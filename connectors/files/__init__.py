"""File transports (local folders; SFTP) and the safe pick-up of partners' files."""

from connectors.files.inbox import InboundFile, Inbox, InboxOptions
from connectors.files.local import LocalFolders, LocalTransportOptions
from connectors.files.protocol import FileTransport, HashingWriter, LocalCopy, RemoteEntry, Upload
from connectors.files.sftp import SftpFolders, SftpTimeouts, SftpTransportOptions
from connectors.files.transport_options import TransportOptions, open_transport

__all__ = [
    "FileTransport",
    "HashingWriter",
    "InboundFile",
    "Inbox",
    "InboxOptions",
    "LocalCopy",
    "LocalFolders",
    "LocalTransportOptions",
    "RemoteEntry",
    "SftpFolders",
    "SftpTimeouts",
    "SftpTransportOptions",
    "TransportOptions",
    "Upload",
    "open_transport",
]
