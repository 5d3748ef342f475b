"""A workspace made by `claimbridge init`, moved onto an SFTP server: the ERP's exports and
write-back files and the agency's files all live on the server, none on this machine."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from simulators.file_agency import FileAgencySimulator
from tests.conftest import TODAY, Workspace
from tests.sftp_server import SftpServer

FOLDERS = ("erp/exports", "erp/writeback", "agency/to-agency", "agency/from-agency")
SAMPLE_EXPORT = f"open_items_{TODAY:%Y%m%d}.csv"  # what `claimbridge init` writes


def use_sftp(workspace: Workspace, server: SftpServer, **transport: Any) -> None:
    """Point the ERP source, its write-back and the agency at `server` (same folder names,
    relative to the server's root) and move the sample export there."""
    edit_config(workspace, server.options(**transport))
    for folder in FOLDERS:
        server.mkdir(server.path(folder))
    shutil.move(
        workspace.path("erp", "exports", SAMPLE_EXPORT),
        server.path("erp", "exports", SAMPLE_EXPORT),
    )


def edit_config(workspace: Workspace, transport: dict[str, Any], **inbox: Any) -> None:
    data = yaml.safe_load(workspace.config_path.read_text(encoding="utf-8"))
    source = data["sources"]["erp"]
    source["options"]["transport"] = transport
    source["options"]["inbox"].update(inbox)
    source["writeback"]["options"]["transport"] = transport
    data["agencies"]["acme"]["options"]["transport"] = transport
    workspace.config_path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def agency_on(server: SftpServer) -> FileAgencySimulator:
    """The simulated agency, working in its folders on the server."""
    return FileAgencySimulator(
        server.path("agency", "to-agency"), server.path("agency", "from-agency")
    )


def local_path(server: SftpServer, location: str) -> Path:
    """The file on the server's disk that an `sftp://` location names."""
    prefix = f"sftp://{server.user}@127.0.0.1:{server.port}"
    assert location.startswith(prefix), location
    return Path(location.removeprefix(prefix))


def server_files(server: SftpServer) -> set[str]:
    return {str(p.relative_to(server.root)) for p in server.root.rglob("*") if p.is_file()}
