"""The import contract (ARCHITECTURE.md, "imports point down only"), read from the source with ``ast``.

Every import counts, also those inside functions and under ``if TYPE_CHECKING:``: a layer that
reaches up lazily still depends on what it reaches. Cycles are checked on what runs at import
time (module-level imports, plus the parent packages Python initialises first).

The rules:

- a rules module (every ``rules.py`` and the pure modules in ``PURE_MODULES``) imports nothing of
  the project but other rules modules, and no SDK, web or database library;
- storage imports only storage and rules modules;
- a feature's actions (``bot/features/<f>/actions.py``, ``*_actions.py``) are imported only by
  that feature's ``install.py`` (its install function) and the registry ``bot/features/registry.py``;
  the package ``__init__.py`` files stay free of imports: storage and dialogs import a feature's
  rules, which runs the package's ``__init__`` first (the cycle check counts that);
- bot/core, bot/teams and bot/outbox import no feature;
- a dialog imports, of the features, only its own (named by its file, ``<feature>_dialog.py``)
  and rules modules; only its own feature imports it;
- no import cycles between modules.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("bot", "dialogs", "storage", "app")
"""Top-level names that are the project's own; everything else is the standard library or a dependency."""

PURE_MODULES = {
    "bot.core.clock": "the Clock type and the clocks behind it (datetime only), which rules may take",
    "bot.core.input_rules": "form checks shared by every feature: problems, cleaned text, limits, links",
    "bot.core.quiet_hours": "when the bot sends nothing; parsed by the settings, used by planners' rules",
    "bot.core.text_search": "stemmed word matching (snowballstemmer only), used by the examples' rules",
    "bot.features.projects.spec": "a project's YAML file parsed and validated; storage saves a spec",
    "bot.features.registration.handover_codes": "hand-over code format and an in-memory attempt counter",
    "bot.outbox.addresses": "outbox recipients built and parsed (dataclasses only); storage reads and writes them",
    "bot.outbox.retry": "backoff arithmetic and HTTP status reading, no I/O",
}
"""Modules not named rules.py that count as rules modules, each with why it is pure."""

IMPURE_LIBRARIES = ("aiohttp", "alembic", "apscheduler", "asyncpg", "aiosqlite", "botbuilder", "botframework",
                    "msrest", "requests", "sqlalchemy")
"""Libraries a rules module must not import: the Teams SDK, the web, the database, the scheduler."""

REGISTRY = "bot.features.registry"
_ACTIONS = re.compile(r"^bot\.features\.(\w+)\.(\w+_)?actions$")


@dataclass(frozen=True)
class Import:
    importer: str
    path: Path
    line: int
    imported: str
    at_import_time: bool
    """Module level and not under TYPE_CHECKING: runs when the importer is imported."""


@dataclass(frozen=True)
class Violation:
    importer: str
    imported: str
    message: str

    def __str__(self) -> str:
        return self.message


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules(root: Path) -> dict[str, Path]:
    files = [path for top in PROJECT if (root / top).is_dir() for path in (root / top).rglob("*.py")]
    files += [path for path in [root / "app.py"] if path.exists()]
    return {module_name(root, path): path for path in sorted(files)}


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _import_nodes(tree: ast.Module) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement, with whether it runs at import time."""
    pending: list[tuple[ast.AST, bool]] = [(tree, True)]
    while pending:
        node, at_import_time = pending.pop()
        for child in ast.iter_child_nodes(node):
            runs = at_import_time and not _is_type_checking(child) and not isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, runs
            pending.append((child, runs))


def _targets(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool, modules: dict[str, Path]) -> list[str]:
    """The modules an import statement loads: ``from a.b import c`` is a.b.c when that is a module."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = importer.split(".") if is_package else importer.split(".")[:-1]
        package = package[:len(package) - (node.level - 1)]
        base = ".".join(package + ([node.module] if node.module else []))
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]


def read_imports(root: Path) -> tuple[dict[str, Path], list[Import]]:
    modules = project_modules(root)
    imports = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, at_import_time in _import_nodes(tree):
            for target in _targets(node, name, path.name == "__init__.py", modules):
                imports.append(Import(name, path, node.lineno, target, at_import_time))
    return modules, imports


def is_rules(module: str) -> bool:
    return module.rsplit(".", 1)[-1] == "rules" or module in PURE_MODULES


def feature_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["bot", "features"] else None


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def dialog_feature(module: str, features: set[str]) -> str | None:
    """``dialogs.registration_dialog`` -> "registration": the longest feature name the file starts with."""
    stem = module.rsplit(".", 1)[-1]
    named = [feature for feature in features if stem == feature or stem.startswith(feature + "_")]
    return max(named, key=len) if named else None


def violations(root: Path) -> list[Violation]:
    modules, imports = read_imports(root)
    features = {feature for module in modules if (feature := feature_of(module))}
    found: dict[str, Violation] = {}
    for imp in imports:
        top = imp.imported.split(".")[0]
        where = f"{imp.path.relative_to(root)}:{imp.line} imports {imp.imported}"
        if top not in PROJECT:
            if is_rules(imp.importer) and top.lower() in IMPURE_LIBRARIES:
                found[where] = Violation(imp.importer, imp.imported, f"{where}: a rules module stays free of I/O "
                                         "and the SDK")
            continue
        problem = _layer_problem(imp.importer, imp.imported, features)
        if problem:
            found[where] = Violation(imp.importer, imp.imported, f"{where}: {problem}")
    return list(found.values())


def _layer_problem(importer: str, imported: str, features: set[str]) -> str | None:
    feature = feature_of(imported)
    if is_rules(importer) and not is_rules(imported):
        return "a rules module imports only other rules modules"
    if _in(importer, "storage") and not (_in(imported, "storage") or is_rules(imported)):
        return "storage imports only storage and rules modules"
    actions = _ACTIONS.match(imported)
    if actions and importer not in (REGISTRY, f"bot.features.{actions.group(1)}.install"):
        return (f"a feature's actions are imported only by its install function (bot/features/{actions.group(1)}/"
                "install.py) and the feature registry (bot/features/registry.py)")
    for layer in ("bot.core", "bot.teams", "bot.outbox"):
        if _in(importer, layer) and feature is not None:
            return f"{layer.replace('.', '/')} imports no feature"
    if _in(importer, "dialogs") and feature is not None and not is_rules(imported):
        own = dialog_feature(importer, features)
        if own is None:
            return f"a dialog's file is named after its feature (<feature>_dialog.py), one of {sorted(features)}"
        if feature != own:
            return f"a dialog imports of the features only its own ({own}) and rules modules"
    if _in(imported, "dialogs") and imported != "dialogs":
        own = dialog_feature(imported, features)
        if own is None or feature_of(importer) != own:
            return f"a dialog is imported only by its own feature (bot/features/{own}/)"
    return None


def import_cycles(root: Path) -> list[list[str]]:
    """Strongly connected groups of modules in what runs at import time. Importing ``a.b.c`` first
    initialises ``a`` and ``a.b``, so those count as imported too (unless the importer is inside them)."""
    modules, imports = read_imports(root)
    graph: dict[str, set[str]] = {module: set() for module in modules}
    for imp in imports:
        if not imp.at_import_time or imp.imported not in modules:
            continue
        parts = imp.imported.split(".")
        for end in range(1, len(parts) + 1):
            target = ".".join(parts[:end])
            if target in modules and target != imp.importer and not _in(imp.importer, target):
                graph[imp.importer].add(target)
    return _strongly_connected(graph)


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (no recursion limit on a long import chain)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


# --- the project -----------------------------------------------------------------------------------


def test_the_project_keeps_the_import_contract() -> None:
    broken = [str(v) for v in violations(ROOT)]
    assert not broken, "imports that break the contract (module docstring):\n" + "\n".join(sorted(broken))


def test_no_import_cycles() -> None:
    cycles = import_cycles(ROOT)
    assert not cycles, "modules that import each other at import time:\n" + "\n".join(map(str, cycles))


def test_pure_modules_exist_and_every_rules_module_is_found() -> None:
    modules = project_modules(ROOT)
    assert not [module for module in PURE_MODULES if module not in modules]
    assert {"bot.features.registration.rules", "bot.core.input_rules"} <= {m for m in modules if is_rules(m)}


# --- the checker, on a small made-up project ---------------------------------------------------------


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    _write(tmp_path, {
        "bot/__init__.py": "",
        "bot/core/__init__.py": "",
        "bot/core/handler.py": "def handle():\n    from bot.features.a import actions\n",
        "bot/features/__init__.py": "",
        "bot/features/a/__init__.py": "",
        "bot/features/a/install.py": "from bot.features.a import actions\n",
        "bot/features/registry.py": "from bot.features.a import install\n",
        "bot/features/a/actions.py": "from dialogs.a_dialog import Flow\nfrom bot.features.b.service import x\n",
        "bot/features/a/rules.py": "import sqlalchemy\nfrom ..b import rules\nfrom . import service\n",
        "bot/features/a/service.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                     "    from bot.features.b.text_actions import T\n",
        "bot/features/b/__init__.py": "",
        "bot/features/b/rules.py": "",
        "bot/features/b/service.py": "from bot.features.b import cards\n",
        "bot/features/b/cards.py": "from bot.features.b.service import y\n",
        "bot/features/b/text_actions.py": "",
        "bot/teams/__init__.py": "",
        "bot/teams/wire.py": "import bot.features.b.rules\n",
        "dialogs/__init__.py": "",
        "dialogs/a_dialog.py": "from bot.features.a.rules import r\nfrom bot.features.b.service import s\n",
        "storage/__init__.py": "",
        "storage/people.py": "from bot.features.a.rules import r\nfrom bot.core.handler import h\n"
                             "from storage import db\n",
        "storage/db.py": "",
        "app.py": "from bot.features.a.actions import A\nfrom dialogs.a_dialog import Flow\n",
    })
    return tmp_path


def test_checker_reports_each_rule_with_file_line_and_module(tiny: Path) -> None:
    found = sorted(str(v) for v in violations(tiny))
    assert found == sorted([
        "app.py:1 imports bot.features.a.actions: a feature's actions are imported only by its install function"
        " (bot/features/a/install.py) and the feature registry (bot/features/registry.py)",
        "app.py:2 imports dialogs.a_dialog: a dialog is imported only by its own feature (bot/features/a/)",
        "bot/core/handler.py:2 imports bot.features.a.actions: a feature's actions are imported only by its"
        " install function (bot/features/a/install.py) and the feature registry (bot/features/registry.py)",
        "bot/features/a/rules.py:1 imports sqlalchemy: a rules module stays free of I/O and the SDK",
        "bot/features/a/rules.py:3 imports bot.features.a.service: a rules module imports only other rules modules",
        "bot/features/a/service.py:3 imports bot.features.b.text_actions: a feature's actions are imported only"
        " by its install function (bot/features/b/install.py) and the feature registry (bot/features/registry.py)",
        "bot/teams/wire.py:1 imports bot.features.b.rules: bot/teams imports no feature",
        "dialogs/a_dialog.py:2 imports bot.features.b.service: a dialog imports of the features only its own (a)"
        " and rules modules",
        "storage/people.py:2 imports bot.core.handler: storage imports only storage and rules modules",
    ])


def test_checker_finds_cycles_at_import_time_only(tiny: Path) -> None:
    # b.service and b.cards import each other; a package importing its own submodules is no cycle,
    # nor is the handler's import inside a function, nor a.service's under TYPE_CHECKING.
    assert import_cycles(tiny) == [["bot.features.b.cards", "bot.features.b.service"]]


def test_checker_counts_the_packages_an_import_initialises(tiny: Path) -> None:
    # Importing bot.features.a.rules first runs bot/features/a/__init__.py: importing the actions
    # there makes the dialog, and storage when the actions reach it, import themselves.
    _write(tiny, {"bot/features/a/__init__.py": "from . import actions\n",
                  "bot/features/a/actions.py": "import storage.people\nfrom dialogs.a_dialog import Flow\n"})
    assert ["bot.features.a", "bot.features.a.actions", "dialogs.a_dialog", "storage.people"] in import_cycles(tiny)
