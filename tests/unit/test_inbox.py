"""Picking up files: only settled files, archived after processing, refused ones set aside."""

import os
import time
from pathlib import Path

from connectors.base import Outcome
from connectors.files import Inbox, InboxOptions, LocalFolders


def test_a_file_still_being_written_is_left_for_the_next_poll(tmp_path: Path) -> None:
    inbox_dir = tmp_path / "in"
    inbox_dir.mkdir()
    done, growing = inbox_dir / "a.csv", inbox_dir / "b.csv"
    done.write_text("complete\n")
    os.utime(done, (time.time() - 60, time.time() - 60))
    growing.write_text("half")

    def sleep(_: float) -> None:  # the writer goes on while we wait
        with growing.open("a") as handle:
            handle.write(" more")

    inbox = Inbox(LocalFolders(tmp_path), InboxOptions(folder="in", settle_seconds=1), sleep=sleep)
    assert [f.name for f in inbox.pending()] == ["a.csv"]

    inbox = Inbox(
        LocalFolders(tmp_path), InboxOptions(folder="in", settle_seconds=1), sleep=lambda _: None
    )
    assert [f.name for f in inbox.pending()] == ["a.csv", "b.csv"]


def test_processed_files_are_archived_and_refused_ones_set_aside_with_the_reason(
    tmp_path: Path,
) -> None:
    (tmp_path / "in").mkdir()
    for name in ("a.csv", "b.csv", "c.csv", ".hidden.csv", "notes.txt"):
        (tmp_path / "in" / name).write_text("x")
    inbox = Inbox(LocalFolders(tmp_path), InboxOptions(folder="in", settle_seconds=0))
    files = {f.name: f for f in inbox.pending()}
    assert sorted(files) == ["a.csv", "b.csv", "c.csv"]
    files["a.csv"].settle(Outcome.PROCESSED)
    files["b.csv"].settle(Outcome.REJECTED, "line 3: not valid utf-8")
    files["c.csv"].settle(Outcome.RETRY)
    assert (tmp_path / "in" / "archive" / "a.csv").exists()
    assert (
        tmp_path / "in" / "error" / "b.csv.reason.txt"
    ).read_text().strip() == "line 3: not valid utf-8"
    assert (tmp_path / "in" / "c.csv").exists()


def test_publishing_is_atomic(tmp_path: Path) -> None:
    folders = LocalFolders(tmp_path)
    try:
        with folders.publish("out", "file.csv") as (writer, _):
            writer.write(b"partial")
            raise RuntimeError("crash while writing")
    except RuntimeError:
        pass
    assert list((tmp_path / "out").iterdir()) == []
    with folders.publish("out", "file.csv") as (writer, upload):
        writer.write(b"complete")
    assert (tmp_path / "out" / "file.csv").read_bytes() == b"complete"
    assert upload.bytes == 8 and len(upload.sha256) == 64
