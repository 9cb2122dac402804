"""Fail when code outside a services module writes to the database through the ORM.

Every write lives in a module whose name says it writes: `services.py` or a module of a
`services/` package (the house rule of docs/architecture.md). Migrations, tests,
benchmarks and scripts are exempt. Run by `make test`.

It reads the source (ast), so it sees every write, run or not, and knows no types: a
call counts as an ORM write when its method is one of WRITES and the object it is
called on looks like a model, a manager or a queryset (see `_is_orm_receiver`). A call
that only looks like one says so on its line: `# not an ORM write: <why>`.
"""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The one shared write helper (UPDATE ... FROM unnest), called only by services.
EXEMPT_FILES = {"core/db.py"}
EXEMPT_DIRS = {"migrations", "tests", "bench", "scripts", ".venv", "node_modules", "static", "templates"}
# Always a database write, whatever they are called on.
WRITES = {"save", "delete", "create", "update", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}
# Methods of non-ORM objects that share a name with a write: dict.update, set.update,
# cache.delete, session.save, hashlib's update, messages storage...
NOT_ORM_RECEIVERS = {"cache", "session", "hasher", "digest", "storage", "counts", "values", "context", "data", "kwargs"}


def is_services_module(path: Path) -> bool:
    return path.name == "services.py" or "services" in path.parent.parts[-1:]


def _root_name(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def _is_orm_receiver(call: ast.Call) -> bool:
    receiver = call.func.value  # type: ignore[attr-defined]
    text = ast.unparse(receiver)
    method = call.func.attr  # type: ignore[attr-defined]
    if _root_name(receiver) in NOT_ORM_RECEIVERS or text in NOT_ORM_RECEIVERS:
        return False
    if method in {"save", "delete"}:
        # Model instances and querysets; not dicts (no such method) nor files opened by us.
        return not text.endswith(("session", "cache")) and "messages" not in text
    if method == "update":
        # queryset.update(...): the receiver is a manager or queryset chain, never a plain dict.
        return ".objects" in text or any(f".{m}(" in text for m in ("filter", "exclude", "all", "select_for_update"))
    # create / bulk_* / get_or_create / update_or_create: on a manager or related manager.
    return ".objects" in text or text.endswith(("_set", "members", "entries", "phones", "emails", "recipients"))


def _commit_false(call: ast.Call) -> bool:
    """form.save(commit=False) builds objects without writing them."""
    return any(
        kw.arg == "commit" and isinstance(kw.value, ast.Constant) and kw.value.value is False for kw in call.keywords
    )


PRAGMA = "# not an ORM write:"  # followed by why, on the call's line


def writes_in(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    lines = source.splitlines()
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITES
            and _is_orm_receiver(node)
            and not _commit_false(node)
            and PRAGMA not in lines[node.lineno - 1]
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node.func)}()")
    return found


def main() -> int:
    problems = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if EXEMPT_DIRS & set(relative.parts) or is_services_module(relative) or str(relative) in EXEMPT_FILES:
            continue
        problems += writes_in(path)
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} ORM write(s) outside services modules: move them into a service.", file=sys.stderr)
        return 1
    print("ORM writes: all in services modules.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
