"""Rules of the design that an import graph cannot see, checked on the source (run by .ci/run).

    commit      `.commit(` only in the unit of work (gateway/storage/database.py): repositories
                and services never commit; one unit of work per request or job does
    exec        `exec(` and `eval(` only where the mapping engine compiles its fast path
    paramiko    imported only by the SFTP transport's modules
    pyrfc       imported only by connectors/sap_rfc/sdk.py

A `# noqa` does not silence these: a new exception is a change to the allow-lists below, made in
review. Usage: python scripts/check_rules.py [ROOT]  (exit 1 and one line per breach).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGES = ("gateway", "connectors", "mappings")

COMMIT_ALLOWED = {
    "gateway/storage/database.py",
    # a process's presence: a connection of its own holds a PostgreSQL advisory lock for the
    # process's lifetime, outside any unit of work
    "gateway/storage/presence.py",
}
EXEC_ALLOWED = {"mappings/accelerate.py"}
IMPORT_ALLOWED = {
    "paramiko": {
        "connectors/files/sftp.py",
        "connectors/files/sftp_pipeline.py",
        "connectors/files/sftp_session.py",
    },
    "pyrfc": {"connectors/sap_rfc/sdk.py"},
}


def _imported(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name.split(".")[0]
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        yield node.module.split(".")[0]


def breaches(path: Path, name: str) -> Iterator[str]:
    """Every breach of the rules in one file; `name` is its path from the root, with '/'."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=name)
    for node in ast.walk(tree):
        where = f"{name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Call):
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "commit"
                and name not in COMMIT_ALLOWED
            ):
                yield f"{where}: .commit() outside the unit of work (gateway/storage/database.py)"
            if (
                isinstance(func, ast.Name)
                and func.id in ("exec", "eval")
                and name not in EXEC_ALLOWED
            ):
                yield f"{where}: {func.id}() outside {', '.join(sorted(EXEC_ALLOWED))}"
        for module in _imported(node):
            allowed = IMPORT_ALLOWED.get(module)
            if allowed is not None and name not in allowed:
                yield f"{where}: {module} imported outside {', '.join(sorted(allowed))}"


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent
    found = [
        breach
        for package in PACKAGES
        for path in sorted((root / package).rglob("*.py"))
        for breach in breaches(path, path.relative_to(root).as_posix())
    ]
    for breach in found:
        print(breach)
    print(f"check_rules: {len(found)} breach(es)" if found else "check_rules: rules kept")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
