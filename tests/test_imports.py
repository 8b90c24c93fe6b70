"""formcheck's own imports: no cycle among its modules, imports at the top, a light package root.

The import graph is read from the source with :mod:`ast`, so a cycle or a stray
import is found even on code paths the other tests never run.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
from collections import deque
from pathlib import Path

import formcheck

PACKAGE_DIR = Path(formcheck.__file__).resolve().parent

#: Modules that ``import formcheck`` must not load: each costs seconds on a busy machine,
#: and cv2 and mediapipe belong to the optional ``video`` extra.
HEAVY_MODULES = ("sklearn", "numba", "matplotlib", "cv2", "mediapipe", "scipy")


def module_files() -> dict[str, Path]:
    """Dotted name -> source file, for every module of the package."""
    modules = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


MODULES = module_files()


def parse(name: str) -> ast.Module:
    return ast.parse(MODULES[name].read_text(encoding="utf-8"), filename=str(MODULES[name]))


def is_type_checking_block(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``): never run, so no import edge."""
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def module_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports run when the module is imported: its top level and class bodies, not functions."""
    found, pending = [], list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) \
                and not is_type_checking_block(node):
            pending.extend(ast.iter_child_nodes(node))
    return found


def function_level_imports(tree: ast.Module) -> list[tuple[str, ast.Import | ast.ImportFrom]]:
    """``(function qualname, import node)`` for every import inside a function body."""
    found = []

    def visit(node: ast.AST, scope: tuple[str, ...], in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)) and in_function:
                found.append((".".join(scope), child))
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, (*scope, child.name), True)
            elif isinstance(child, ast.ClassDef):
                visit(child, (*scope, child.name), in_function)
            else:
                visit(child, scope, in_function)

    visit(tree, (), False)
    return found


def import_base(node: ast.ImportFrom, importer: str) -> str:
    """The absolute module a ``from ... import`` statement imports from."""
    if not node.level:
        return node.module
    package = importer.split(".")
    if MODULES[importer].name != "__init__.py":
        package = package[:-1]
    package = package[:len(package) - node.level + 1]
    return ".".join(package + ([node.module] if node.module else []))


def imported_modules(node: ast.Import | ast.ImportFrom, importer: str) -> set[str]:
    """Dotted names a statement imports: ``from m import n`` imports ``m.n`` when that is a
    module of the package, else ``m``."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    base = import_base(node, importer)
    return {f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
            for alias in node.names}


def imports_the_package_root(node: ast.Import | ast.ImportFrom, importer: str) -> bool:
    """``import formcheck`` or ``from formcheck import name`` (a submodule is fine)."""
    if isinstance(node, ast.Import):
        return any(alias.name == "formcheck" for alias in node.names)
    return import_base(node, importer) == "formcheck" and any(
        f"formcheck.{alias.name}" not in MODULES for alias in node.names)


def imported_top_level(node: ast.Import | ast.ImportFrom, importer: str) -> list[str]:
    """Top-level package names a statement imports (``formcheck`` for relative imports)."""
    if isinstance(node, ast.Import):
        return [alias.name.split(".")[0] for alias in node.names]
    return [import_base(node, importer).split(".")[0]]


def statement(node: ast.Import | ast.ImportFrom, importer: str) -> str:
    """The import written out with absolute names, for messages."""
    names = ", ".join(alias.name for alias in node.names)
    if isinstance(node, ast.Import):
        return f"import {names}"
    return f"from {import_base(node, importer)} import {names}"


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports at module level."""
    return {name: {target for node in module_level_imports(parse(name))
                   for target in imported_modules(node, name)
                   if target in MODULES and target != name}
            for name in MODULES}


def strongly_connected_components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm; each component is a list of modules."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return components


def shortest_cycle(graph: dict[str, set[str]], start: str) -> list[str]:
    """The shortest path ``start -> ... -> start`` (breadth first), as a list of modules."""
    previous, queue = {}, deque([start])
    while queue:
        node = queue.popleft()
        for target in sorted(graph[node]):
            if target == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [start, *reversed(path[:-1]), start]
            if target not in previous:
                previous[target] = node
                queue.append(target)
    return []


def test_module_level_imports_have_no_cycle():
    graph = import_graph()
    assert sum(len(targets) for targets in graph.values()) > len(MODULES) / 2, \
        "the import graph is nearly empty: imports were not resolved"
    cycles = [" -> ".join(shortest_cycle(graph, component[0]))
              for component in strongly_connected_components(graph) if len(component) > 1]
    assert not cycles, "import cycles among formcheck's modules:\n" + "\n".join(cycles)


def test_no_module_imports_the_package_root():
    offenders = [f"{MODULES[name].relative_to(PACKAGE_DIR.parent)}:{node.lineno}"
                 for name in MODULES if name != "formcheck"
                 for node in ast.walk(parse(name))
                 if isinstance(node, (ast.Import, ast.ImportFrom))
                 and imports_the_package_root(node, name)]
    assert not offenders, ("modules take the version from formcheck._version, not the package "
                           "root; the root is imported at: " + ", ".join(offenders))


def normalized(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def required_import_names() -> set[str]:
    """Top-level import names of formcheck's required (not extra) dependencies."""
    requirements = importlib.metadata.requires("formcheck") or []
    required = {normalized(re.match(r"[A-Za-z0-9._-]+", requirement).group())
                for requirement in requirements if "extra ==" not in requirement}
    return {name for name, distributions in importlib.metadata.packages_distributions().items()
            if any(normalized(distribution) in required for distribution in distributions)}


#: (module, what it may import inside a function) -> why it must wait.
DELIBERATELY_LAZY = {
    ("formcheck.cli", "formcheck"): "each command loads its library modules when it runs, so "
                                    "`formcheck --help` and usage errors return at once",
    ("formcheck.errors", "sklearn"): "NotFittedError subclasses scikit-learn's and is created on "
                                     "first use, so importing the errors loads no scikit-learn",
    ("formcheck.export", "formcheck"): "the graph builders import onnx, an optional extra",
    ("formcheck.classifiers.base", "formcheck"): "to_onnx() reaches the export layer, above the "
                                                 "classifiers and needing the onnx extra; fitting "
                                                 "and scikit-learn's tags reach _training, which "
                                                 "imports scikit-learn: predicting needs none",
    ("formcheck.classifiers.learned", "formcheck"): "fitting reaches _training (scikit-learn's "
                                                    "networks): predicting needs none",
    ("formcheck._parallel", "formcheck"): "formcheck._dask subclasses joblib's Dask backend, "
                                          "which imports distributed, an optional extra",
}


def test_functions_import_only_optional_extras():
    """Imports inside functions are for optional extras; the package, its required
    dependencies and the standard library are imported at the top of the module, except
    the few listed in DELIBERATELY_LAZY with the reason."""
    required = required_import_names()
    assert {"numpy", "sklearn", "click"} <= required, f"required dependencies not found: {required}"
    offenders = []
    for name, path in MODULES.items():
        for function, node in function_level_imports(parse(name)):
            for top in imported_top_level(node, name):
                kind = ("formcheck module" if top == "formcheck"
                        else "required dependency" if top in required
                        else "standard library" if top in sys.stdlib_module_names else None)
                if (name, top) in DELIBERATELY_LAZY:
                    continue
                if kind:
                    offenders.append(f"{path.relative_to(PACKAGE_DIR.parent)}:{node.lineno} "
                                     f"{function}(): {statement(node, name)} ({kind})")
    assert not offenders, (f"{len(offenders)} imports inside functions that belong at the top "
                           "of their module:\n" + "\n".join(offenders))


def test_import_formcheck_loads_no_heavy_dependency():
    code = ("import sys, formcheck; "
            f"print(' '.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    loaded = result.stdout.split()
    assert not loaded, f"`import formcheck` loaded {', '.join(loaded)}"
