"""The shape of the code: which module may import which, and where role names may be written.

Pure static checks (``ast`` over the source, a regex over the templates): nothing is imported,
no database is touched.

Target architecture
-------------------
Every module of an app is either an *edge* module or a *domain* module.

- Edge: any module whose dotted path has a component in ``views``, ``urls``, ``api`` (a
  package), ``forms``, ``admin``, ``templatetags``, ``management`` (a package), ``demo``,
  ``import_views``, ``context_processors``, ``feeds`` or ``apps``; plus the configuration
  modules ``careerladder.urls``, ``careerladder.api_urls``, ``careerladder.settings.*``,
  ``careerladder.wsgi``, ``careerladder.asgi`` and ``careerladder.celery``.
- Domain: everything else (models, selectors, services, permissions, tasks and rule modules
  such as ``certifications/ptcb.py``, ``metrics/kpis.py``, ``careerladder/core/versions.py``).
- Not looked at: ``migrations/``, ``tests/``, ``benchmarks/``, ``scripts/``.

Domain layers, lowest first (an app that does not exist yet is skipped)::

    careerladder (careerladder and careerladder.core) < technicians < certifications
    < competencies < tiers < tracks < training < metrics < notifications < progress < imports

Rule 1  A domain module imports only modules of its own app or of a lower layer.
Rule 2  A domain module never imports an edge module (of any app, its own included).
Rule 3  No import cycle between modules, edge modules included. Every import statement
        counts, at module level or inside a function; those under ``if TYPE_CHECKING:`` do
        not (they never run).
Rule 4  No role name written as a string outside the roles module (``technicians/roles.py``;
        until it exists, the ``Role`` choices class): "technician", "evaluator", "manager",
        "hr", "admin". The same words are field names and demo login names, so a string
        equal to a role is flagged only where code treats it as a role:
        (a) compared: ``role == "manager"``, ``!=``, ``case "hr":``, ``role in ("hr", ...)``,
            ``"hr" in roles`` (but ``"technician" in cleaned_data`` is a key test);
        (b) in a tuple/list/set of role names only (two or more): ``ROLES = ("manager", "hr")``;
        (c) handed to something named ``*role*`` or after a role: ``role="technician"``,
            ``role__in=[...]``, ``{"role": "hr"}``, ``def f(role="hr")``,
            ``require_role(request, ("hr",))``, ``ADMIN = frozenset({"admin"})``;
        (d) in a dict keyed by role names only (two or more): ``{"hr": ..., "admin": ...}``,
            unless every value states its own ``"role"`` (then the keys are login names);
        (e) looked up in, or the default of, something role-named: ``HOME_BY_ROLE.get("hr")``,
            ``HOME_BY_ROLE["hr"]``, ``x.get(role, "technician")``, ``getattr(u, "role", "hr")``.
        Never: field names and lookups (``fields``, ``raw_id_fields``, ``list_select_related``,
        ``exclude=``, ``hidden=``, ``select_related(...)``) and usernames (``username=``,
        ``username__in=``, ``DEMO_USERNAMES``). In templates: a role name compared in
        ``{% if %}``/``{% elif %}``, or passed as ``role="..."`` in any tag.
"""

from __future__ import annotations

import ast
import bisect
import functools
import os
import re
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

LAYERS = (
    "careerladder",
    "technicians",
    "certifications",
    "competencies",
    "tiers",
    "tracks",
    "incentives",
    "training",
    "metrics",
    "notifications",
    "progress",
    "imports",
)
# Top-level folders that are not application code (they may be packages).
NOT_APPS = {"tests", "benchmarks", "scripts"}
# Folders never looked into, at any depth.
SKIPPED_DIRS = {"migrations", "tests", "benchmarks", "scripts", "__pycache__", "node_modules"}

EDGE_PARTS = {
    "api",  # the API package of an app, and careerladder/core/api.py (DRF plumbing)
    "views",
    "urls",
    "forms",
    "admin",
    "templatetags",
    "demo",
    "import_views",
    "context_processors",
    "feeds",
    "apps",
}
EDGE_PACKAGES = {"management"}  # edge only as packages
# Configuration: the package's __init__ only starts the Celery application.
EDGE_CONFIG_EXACT = {"careerladder"}
EDGE_CONFIG = (
    "careerladder.urls",
    "careerladder.api_urls",
    "careerladder.settings",
    "careerladder.wsgi",
    "careerladder.asgi",
    "careerladder.celery",
)

ROLES_MODULE = "technicians/roles.py"
ROLE_CLASS = "Role"
KNOWN_ROLES = frozenset({"technician", "evaluator", "manager", "hr", "admin"})


def _role_values() -> frozenset[str]:
    """The values of the ``Role`` choices, read from the roles module or, until it exists,
    from technicians/models.py (``User.Role``); the known five if neither defines them."""
    for rel in (ROLES_MODULE, "technicians/models.py"):
        path = ROOT / rel
        if not path.is_file():
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.ClassDef) and node.name == ROLE_CLASS):
                continue
            values = set()
            for statement in node.body:
                value = getattr(statement, "value", None)
                if isinstance(value, ast.Tuple) and value.elts:  # MANAGER = "manager", "Manager"
                    value = value.elts[0]
                if (
                    isinstance(statement, ast.Assign)
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                ):
                    values.add(value.value)
            if values:
                return frozenset(values)
    return KNOWN_ROLES


ROLES = _role_values()


# --------------------------------------------------------------------------------------------
# The project as modules and imports
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    target: str  # the project module it resolves to
    path: str  # importer's file, relative to the repository
    line: int
    statement: str  # "from tiers.models import Tier, TierAssignment": the names from `target`
    scope: str  # "module level" or "in def x()"

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def describe(self) -> str:
        return f"{self.where}: `{self.statement}` ({self.scope})"


@dataclass
class Module:
    name: str
    path: Path
    is_package: bool
    skipped: bool  # under migrations/, tests/ ...: resolvable, never checked
    source: str = ""
    tree: ast.Module | None = None
    imports: list[Import] = field(default_factory=list)

    @property
    def app(self) -> str:
        return self.name.split(".")[0]

    @property
    def rel(self) -> str:
        return self.path.relative_to(ROOT).as_posix()


@dataclass
class Project:
    modules: dict[str, Module]  # every .py under the apps, skipped folders included

    def checked(self) -> list[Module]:
        return [m for m in self.modules.values() if not m.skipped]

    def is_edge(self, name: str) -> bool:
        if name in EDGE_CONFIG_EXACT or any(name == c or name.startswith(c + ".") for c in EDGE_CONFIG):
            return True
        parts = name.split(".")
        for i, part in enumerate(parts):
            if part in EDGE_PARTS:
                return True
            if part in EDGE_PACKAGES:
                prefix = ".".join(parts[: i + 1])
                if prefix in self.modules and self.modules[prefix].is_package:
                    return True
        return False

    def kind(self, name: str) -> str:
        return "edge" if self.is_edge(name) else "domain"

    def apps(self) -> list[str]:
        return sorted({m.app for m in self.checked()}, key=_layer_or_last)


def _layer_or_last(app: str) -> tuple[int, str]:
    return (LAYERS.index(app) if app in LAYERS else len(LAYERS), app)


def _top_level_packages() -> list[Path]:
    return sorted(
        p
        for p in ROOT.iterdir()
        if p.is_dir() and not p.name.startswith(".") and p.name not in NOT_APPS and (p / "__init__.py").is_file()
    )


def _scan_files() -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for package in _top_level_packages():
        for dirpath, dirnames, filenames in os.walk(package):
            here = Path(dirpath)
            rel_parts = here.relative_to(ROOT).parts
            skipped = any(part in SKIPPED_DIRS for part in rel_parts)
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
            for filename in sorted(filenames):
                if not filename.endswith(".py"):
                    continue
                stem = filename[:-3]
                is_package = stem == "__init__"
                parts = rel_parts if is_package else (*rel_parts, stem)
                name = ".".join(parts)
                modules[name] = Module(name=name, path=here / filename, is_package=is_package, skipped=skipped)
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


STATEMENT_LISTS = ("body", "orelse", "finalbody", "handlers", "cases")  # where statements nest


def _runtime_imports(tree: ast.Module):
    """Import statements that can run, with the function they sit in: the bodies of
    ``if TYPE_CHECKING:`` are left out, their ``else:`` kept. Only statements are walked (an
    import is one), not the expressions inside them."""

    def visit(nodes, scope):
        for node in nodes:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                yield node, scope
                continue
            lists = STATEMENT_LISTS
            if isinstance(node, ast.If) and _is_type_checking(node.test):
                lists = ("orelse",)
            elif (
                isinstance(node, ast.If)
                and isinstance(node.test, ast.UnaryOp)
                and isinstance(node.test.op, ast.Not)
                and _is_type_checking(node.test.operand)
            ):
                lists = ("body",)
            inner = f"in def {node.name}()" if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else scope
            for name in lists:
                yield from visit(getattr(node, name, ()), inner)

    yield from visit(tree.body, "module level")


def _nearest_module(name: str, modules: dict[str, Module]) -> str | None:
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _resolve(module: Module, node: ast.Import | ast.ImportFrom, modules: dict[str, Module]) -> dict[str, str]:
    """{project module it loads: the statement, reduced to the names taken from that module}.

    ``from x import y`` loads the submodule ``x.y`` when there is one, else ``x``; a name that
    is no module of its own falls back to the nearest module that exists (``import a.b.c``
    with ``c`` a class: ``a.b``)."""
    if isinstance(node, ast.Import):
        loaded = [
            (alias.name, f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else ""))
            for alias in node.names
        ]
        return {t: text for dotted, text in loaded if (t := _nearest_module(dotted, modules))}
    if node.level:
        package = module.name.split(".") if module.is_package else module.name.split(".")[:-1]
        base = ".".join([*package[: len(package) - node.level + 1], *([node.module] if node.module else [])])
    else:
        base = node.module or ""
    names: dict[str, list[str]] = defaultdict(list)
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        target = submodule if alias.name != "*" and submodule in modules else _nearest_module(base, modules)
        if target:
            names[target].append(alias.name + (f" as {alias.asname}" if alias.asname else ""))
    prefix = "." * node.level + (node.module or "")
    return {target: f"from {prefix} import {', '.join(taken)}" for target, taken in names.items()}


@functools.cache
def project() -> Project:
    modules = _scan_files()
    for module in modules.values():
        if module.skipped:
            continue
        module.source = module.path.read_text(encoding="utf-8")
        module.tree = ast.parse(module.source, filename=str(module.path))
        for node, scope in _runtime_imports(module.tree):
            for target, statement in _resolve(module, node, modules).items():
                if modules[target].skipped or target == module.name:
                    continue  # a migration, or the package importing its own __init__
                module.imports.append(Import(module.name, target, module.rel, node.lineno, statement, scope))
    return Project(modules)


def _domain_modules(app: str) -> list[Module]:
    p = project()
    return [m for m in p.checked() if m.app == app and not p.is_edge(m.name)]


def _existing_layered_apps() -> list[str]:
    return [app for app in project().apps() if app in LAYERS]


# --------------------------------------------------------------------------------------------
# Rules 1 and 2: layers, and domain code that does not lean on the edges
# --------------------------------------------------------------------------------------------


def layer_violations(app: str) -> list[str]:
    p = project()
    found = []
    own = LAYERS.index(app)
    for module in _domain_modules(app):
        for imp in module.imports:
            target_app = p.modules[imp.target].app
            if target_app in LAYERS and LAYERS.index(target_app) > own:
                found.append(
                    f"{imp.describe()} -> {imp.target} ({p.kind(imp.target)} module of {target_app}, "
                    f"layer {LAYERS.index(target_app)}, above {app}, layer {own})"
                )
    return found


def edge_violations(app: str) -> list[str]:
    p = project()
    return [
        f"{imp.describe()} -> {imp.target} is an edge module"
        for module in _domain_modules(app)
        for imp in module.imports
        if p.is_edge(imp.target)
    ]


def test_every_app_has_a_layer():
    """Rules 1 and 2 can only judge an app that sits in LAYERS."""
    unplaced = [app for app in project().apps() if app not in LAYERS]
    assert not unplaced, f"Apps missing from LAYERS in {Path(__file__).name}: {unplaced}"


@pytest.mark.parametrize("app", _existing_layered_apps())
def test_domain_imports_only_its_own_app_or_lower_layers(app):
    found = layer_violations(app)
    assert not found, (
        f"Rule 1: {len(found)} import(s) in {app}'s domain modules reach a higher layer "
        f"({' < '.join(a for a in LAYERS if a in project().apps())}):\n  " + "\n  ".join(found)
    )


@pytest.mark.parametrize("app", _existing_layered_apps())
def test_domain_never_imports_an_edge_module(app):
    found = edge_violations(app)
    assert not found, (
        f"Rule 2: {len(found)} import(s) in {app}'s domain modules reach an edge module "
        "(views, urls, api/, forms, admin, templatetags, management/, demo, ... or configuration):\n  "
        + "\n  ".join(found)
    )


# --------------------------------------------------------------------------------------------
# Rule 3: no import cycles
# --------------------------------------------------------------------------------------------


def import_graph() -> dict[str, dict[str, Import]]:
    """module -> {imported module: its first import statement}."""
    graph: dict[str, dict[str, Import]] = {m.name: {} for m in project().checked()}
    for module in project().checked():
        for imp in module.imports:
            graph[module.name].setdefault(imp.target, imp)
    return graph


def strongly_connected(graph: dict[str, dict[str, Import]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return sorted(components, key=lambda c: (-len(c), c))


def shortest_cycle(graph: dict[str, dict[str, Import]], component: list[str]) -> list[Import]:
    """The shortest cycle inside a component, as its chain of import statements."""
    members = set(component)
    best: list[Import] | None = None
    for start in component:
        previous: dict[str, str] = {}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            if start in graph[node] and (node != start or not previous):
                chain = [graph[node][start]]
                while node != start:
                    chain.append(graph[previous[node]][node])
                    node = previous[node]
                chain.reverse()
                if best is None or len(chain) < len(best):
                    best = chain
                break
            for child in sorted(graph[node]):
                if child in members and child not in previous and child != start:
                    previous[child] = node
                    queue.append(child)
    assert best is not None
    return best


def test_no_import_cycles():
    graph = import_graph()
    components = strongly_connected(graph)
    described = []
    for component in components:
        chain = shortest_cycle(graph, component)
        inside = sum(1 for m in component for imp in project().modules[m].imports if imp.target in component)
        lines = "\n      ".join(f"{imp.describe()} -> {imp.target}" for imp in chain)
        described.append(
            f"{len(component)} modules, {inside} import statements among them: {', '.join(component)}\n    e.g. "
            f"{' -> '.join([chain[0].importer, *(imp.target for imp in chain)])}\n      {lines}"
        )
    assert not components, f"Rule 3: {len(components)} import cycle(s):\n  " + "\n  ".join(described)


# --------------------------------------------------------------------------------------------
# Rule 4: role names live in the roles module
# --------------------------------------------------------------------------------------------

# Names whose values are field names, lookups or usernames, never roles.
FIELD_CONTEXT = re.compile(
    r"(^|_)(fields?|exclude|ordering|list_display|list_filter|list_select_related|raw_id_fields|hidden|labels"
    r"|lookups?|columns?|headers?)$|username",
    re.IGNORECASE,
)
FIELD_CALLS = {
    "select_related",
    "prefetch_related",
    "only",
    "defer",
    "values",
    "values_list",
    "order_by",
    "distinct",
    "get_field",
    "Index",
    "UniqueConstraint",
    "full_clean",
}
LOOKUP_METHODS = {"get", "pop", "setdefault"}
_ROLE_ALTERNATIVES = "|".join(re.escape(role) for role in sorted(ROLES))
# A quick look at the text first: most modules hold no quoted role name and need no walk.
ROLE_TEXT = re.compile(rf"""["'](?:{_ROLE_ALTERNATIVES})["']""")


@dataclass(frozen=True)
class RoleLiteral:
    path: str
    line: int
    column: int
    value: str
    reason: str
    code: str


def describe_role_literals(hits: list[RoleLiteral]) -> list[str]:
    """One line per place, with every role name written there."""
    places: dict[tuple[str, int, str, str], list[str]] = defaultdict(list)
    for hit in hits:
        places[hit.path, hit.line, hit.reason, hit.code].append(f'"{hit.value}"')
    return [
        f"{path}:{line}: {', '.join(values)} ({reason}): {code}"
        for (path, line, reason, code), values in places.items()
    ]


def _is_role(node) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in ROLES


def _mentions_role(name: str | None) -> bool:
    return bool(name) and "role" in name.lower()


def _names_roles(name: str | None) -> bool:
    """A variable that holds roles: ``*role*``, or a role's own name (``ADMIN``, ``MANAGERS``)."""
    return _mentions_role(name) or (bool(name) and name.lower().removesuffix("s") in ROLES)


def _terminal_name(node) -> str | None:
    """``role`` for ``role``, ``user.role``, ``role_of(user)``, ``ROLES[0]``."""
    while True:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            return node.attr
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            return None


def _target_name(node) -> str | None:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


def _all_roles(elements) -> bool:
    return bool(elements) and all(_is_role(e) for e in elements)


def _compare_reason(expr, compare: ast.Compare) -> str | None:
    operands = [compare.left, *compare.comparators]
    position = next(i for i, o in enumerate(operands) if o is expr)
    neighbours = []
    if position > 0:
        neighbours.append((compare.ops[position - 1], operands[position - 1], "container"))
    if position < len(compare.ops):
        neighbours.append((compare.ops[position], operands[position + 1], "element"))
    for op, other, side in neighbours:
        if FIELD_CONTEXT.search(_terminal_name(other) or ""):
            continue  # username == "admin"
        if isinstance(op, (ast.Eq, ast.NotEq, ast.Is, ast.IsNot)):
            return "compared"
        if isinstance(op, (ast.In, ast.NotIn)):
            if side == "container" and isinstance(expr, (ast.Tuple, ast.List, ast.Set, ast.Call)):
                return "membership in roles"
            if side == "element" and (
                (isinstance(other, (ast.Tuple, ast.List, ast.Set)) and _all_roles(other.elts))
                or _mentions_role(_terminal_name(other))
            ):
                return "membership in roles"
    return None


def _climb_value(expr, parents):
    """From an expression up through ``a or b`` and ``x if c else y`` to the place its value goes."""
    holder = parents.get(expr)
    while isinstance(holder, ast.BoolOp) or (isinstance(holder, ast.IfExp) and holder.test is not expr):
        expr, holder = holder, parents.get(holder)
    return expr, holder


def _enclosing_function(node, parents) -> str | None:
    while node is not None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return node.name
        node = parents.get(node)
    return None


def _context_reason(expr, holder, parents) -> str | None:
    """Why ``expr`` (a role name, or a collection/dict of them) is used as a role; None if it
    is a field name, a lookup or a username, or if nothing says it is a role."""
    if isinstance(holder, ast.Compare):
        return _compare_reason(expr, holder)
    if isinstance(holder, ast.MatchValue):
        return "compared (case)"
    if isinstance(holder, ast.keyword):
        if FIELD_CONTEXT.search(holder.arg or ""):
            return None
        return f"{holder.arg}= argument" if _mentions_role(holder.arg) else None
    if isinstance(holder, (ast.Assign, ast.AnnAssign)) and holder.value is expr:
        targets = holder.targets if isinstance(holder, ast.Assign) else [holder.target]
        names = [_target_name(t) for t in targets]
        if any(FIELD_CONTEXT.search(n or "") for n in names):
            return None
        named = next((n for n in names if _names_roles(n)), None)
        return f"assigned to {named}" if named else None
    if isinstance(holder, ast.Call) and any(a is expr for a in holder.args):
        function = _terminal_name(holder.func)
        if function in FIELD_CALLS:
            return None
        if _mentions_role(function):
            return f"argument to {function}()"
        if isinstance(holder.func, ast.Attribute) and function in LOOKUP_METHODS:
            receiver = _terminal_name(holder.func.value)
            if _names_roles(receiver) and holder.args[0] is expr:
                return f"lookup in {receiver}"
            if len(holder.args) > 1 and holder.args[1] is expr:
                key = holder.args[0]
                if _names_roles(receiver) or _mentions_role(_terminal_name(key)):
                    return f"default of {receiver}.{function}()"
        if function == "getattr" and len(holder.args) == 3 and holder.args[2] is expr:
            attribute = holder.args[1]
            if isinstance(attribute, ast.Constant) and _mentions_role(str(attribute.value)):
                return f'default of getattr(..., "{attribute.value}")'
        return None
    if isinstance(holder, ast.Subscript) and holder.slice is expr:
        receiver = _terminal_name(holder.value)
        return f"lookup in {receiver}" if _names_roles(receiver) else None
    if isinstance(holder, ast.arguments):
        params = [*holder.posonlyargs, *holder.args]
        defaults = dict(zip(params[len(params) - len(holder.defaults) :], holder.defaults, strict=True))
        defaults.update({a: d for a, d in zip(holder.kwonlyargs, holder.kw_defaults, strict=True) if d is not None})
        param = next((a.arg for a, d in defaults.items() if d is expr), None)
        return f"default of parameter {param}" if _mentions_role(param) else None
    if isinstance(holder, ast.Return):
        function = _enclosing_function(holder, parents)
        return f"returned by {function}()" if _mentions_role(function) else None
    if isinstance(holder, ast.Dict) and expr in holder.values:
        key = holder.keys[holder.values.index(expr)]
        if isinstance(key, ast.Constant) and _mentions_role(str(key.value)):
            return f'value of "{key.value}"'
    return None


def _entries_state_own_role(dictionary: ast.Dict) -> bool:
    return all(
        isinstance(v, ast.Dict) and any(isinstance(k, ast.Constant) and k.value == "role" for k in v.keys)
        for v in dictionary.values
    )


def _role_reason(node: ast.Constant, parents) -> str | None:
    parent = parents.get(node)
    if isinstance(parent, (ast.Tuple, ast.List, ast.Set)):
        collection = parent
        wrapper = parents.get(collection)
        if (
            isinstance(wrapper, ast.Call)
            and _terminal_name(wrapper.func) in {"frozenset", "set", "tuple", "list"}
            and wrapper.args[:1] == [collection]
        ):
            collection = wrapper
        expr, holder = _climb_value(collection, parents)
        if not _all_roles(parent.elts):
            # ("technician", "round"): field names, or a ("manager", "Manager") choice;
            # but in role in ("manager", OTHER) the names are still roles.
            if isinstance(holder, ast.Compare) and holder.comparators[-1] is expr:
                if _mentions_role(_terminal_name(holder.left)):
                    return "membership in roles"
            return None
        reason = _context_reason(expr, holder, parents)
        if reason or isinstance(holder, ast.Compare) or _field_context(expr, holder):
            return reason
        return "collection of roles" if len(parent.elts) >= 2 else None
    if isinstance(parent, ast.Dict):
        in_keys = any(k is node for k in parent.keys)
        role_keyed = len(parent.keys) >= 2 and _all_roles(parent.keys)
        if role_keyed and not _entries_state_own_role(parent) and (in_keys or _is_role(node)):
            expr, holder = _climb_value(parent, parents)
            if not _field_context(expr, holder):
                return "dict keyed by roles"
        if in_keys:
            return None
    expr, holder = _climb_value(node, parents)
    return _context_reason(expr, holder, parents)


def _field_context(expr, holder) -> bool:
    if isinstance(holder, ast.keyword):
        return bool(FIELD_CONTEXT.search(holder.arg or ""))
    if isinstance(holder, (ast.Assign, ast.AnnAssign)):
        targets = holder.targets if isinstance(holder, ast.Assign) else [holder.target]
        return any(FIELD_CONTEXT.search(_target_name(t) or "") for t in targets)
    if isinstance(holder, ast.Call):
        return _terminal_name(holder.func) in FIELD_CALLS
    return False


def _inside_role_class(node, parents) -> bool:
    while node is not None:
        if isinstance(node, ast.ClassDef) and node.name == ROLE_CLASS:
            return True
        node = parents.get(node)
    return False


def _parents_around(tree: ast.Module, lines: list[int]) -> dict[ast.AST, ast.AST]:
    """child -> parent for the nodes whose lines hold one of ``lines`` (sorted), and their
    ancestors: the rest of the tree cannot hold a role name and is not walked."""
    parents: dict[ast.AST, ast.AST] = {}
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            start = getattr(child, "lineno", None)
            if start is not None:
                at = bisect.bisect_left(lines, start)
                if at == len(lines) or lines[at] > (child.end_lineno or start):
                    continue
            parents[child] = node
            stack.append(child)
    return parents


def role_literals_in(module: Module) -> list[RoleLiteral]:
    source_lines = module.source.splitlines()
    lines = [n for n, text in enumerate(source_lines, 1) if ROLE_TEXT.search(text)]
    if not lines:
        return []
    parents = _parents_around(module.tree, lines)
    found = []
    for node in parents:
        if not _is_role(node) or _inside_role_class(node, parents):
            continue
        reason = _role_reason(node, parents)
        if reason:
            code = source_lines[node.lineno - 1].strip()
            found.append(RoleLiteral(module.rel, node.lineno, node.col_offset, node.value, reason, code))
    return sorted(found, key=lambda r: (r.path, r.line, r.column))


def python_role_literals(app: str) -> list[RoleLiteral]:
    return [
        hit
        for module in project().checked()
        if module.app == app and module.rel != ROLES_MODULE
        for hit in role_literals_in(module)
    ]


TEMPLATE_TAG = re.compile(r"{%(.*?)%}")
TEMPLATE_CONDITION = re.compile(r"^\s*(if|elif)\b")
TEMPLATE_COMPARED = re.compile(
    rf"""(?:==|!=|\bin)\s*(["'])(?P<a>{_ROLE_ALTERNATIVES})\1"""
    rf"""|(["'])(?P<b>{_ROLE_ALTERNATIVES})\3\s*(?:==|!=|\bin\b|\bnot\s+in\b)"""
)
TEMPLATE_ROLE_ARGUMENT = re.compile(rf"""\b\w*role\w*\s*=\s*(["'])(?P<c>{_ROLE_ALTERNATIVES})\1""")


def template_files() -> list[Path]:
    folders = [ROOT / "templates", *(ROOT / app / "templates" for app in project().apps())]
    return sorted(p for folder in folders if folder.is_dir() for p in folder.rglob("*.html"))


def role_literals_in_template(text: str, rel: str) -> list[RoleLiteral]:
    found = []
    for tag in TEMPLATE_TAG.finditer(text):
        content = tag.group(1)
        line = text.count("\n", 0, tag.start()) + 1
        for match in TEMPLATE_ROLE_ARGUMENT.finditer(content):
            found.append(RoleLiteral(rel, line, match.start("c"), match.group("c"), "role= in a tag", tag.group(0)))
        if TEMPLATE_CONDITION.match(content):
            for match in TEMPLATE_COMPARED.finditer(content):
                value = match.group("a") or match.group("b")
                found.append(RoleLiteral(rel, line, match.start(), value, "compared in {% if %}", tag.group(0)))
    return found


def template_role_literals() -> list[RoleLiteral]:
    found = [
        hit
        for path in template_files()
        for hit in role_literals_in_template(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    ]
    return sorted(found, key=lambda r: (r.path, r.line, r.column))


@pytest.mark.parametrize("app", project().apps())
def test_no_role_literals_outside_the_roles_module(app):
    found = python_role_literals(app)
    assert not found, (
        f"Rule 4: {len(found)} role name(s) written as strings in {app}; use the roles module "
        f"({ROLES_MODULE}: Role.MANAGER, or a named group of roles) instead:\n  "
        + "\n  ".join(describe_role_literals(found))
    )


def test_no_role_literals_in_templates():
    found = template_role_literals()
    assert not found, (
        f"Rule 4: {len(found)} role name(s) compared in templates; have the view or a context "
        "processor pass a permission flag (can_..., is_...) instead:\n  " + "\n  ".join(describe_role_literals(found))
    )


# --------------------------------------------------------------------------------------------
# The checks themselves: what they catch and what they leave alone
# --------------------------------------------------------------------------------------------


def _snippet(source: str) -> Module:
    module = Module(name="snippet", path=ROOT / "snippet.py", is_package=False, skipped=False, source=source)
    module.tree = ast.parse(source)
    return module


@pytest.mark.parametrize(
    "source",
    [
        'if user.role == "manager": pass',
        'if role_of(user) not in ("manager", "hr", "admin"): pass',
        'ok = "hr" in user_roles',
        'match role:\n    case "admin":\n        pass',
        'ROLES = ("manager", "hr")',
        'STAFF = frozenset({"manager", "hr", "admin"})',
        'ADMIN = frozenset({"admin"})',
        'User.objects.filter(role="technician")',
        'User.objects.filter(role__in=["hr", "admin"])',
        'spec = {"role": "hr"}',
        'require_role(request, ("hr",))',
        'def f(role="hr"): pass',
        'HOME = {"hr": "dashboard", "admin": "dashboard"}',
        'page = HOME_BY_ROLE.get("manager")',
        'page = HOME_BY_ROLE["manager"]',
        'page = homes.get(role, "technician")',
        'role = getattr(user, "role", None) or "technician"',
    ],
)
def test_role_check_is_caught(source):
    assert role_literals_in(_snippet(source)), source


@pytest.mark.parametrize(
    "source",
    [
        'qs = qs.select_related("technician", "evaluator")',
        'raw_id_fields = ["technician", "evaluator"]',
        'list_select_related = ["technician", "evaluator"]',
        'constraint = UniqueConstraint(fields=["technician"], name="one")',
        'signoff.full_clean(exclude=["technician", "evaluator"])',
        'hidden = frozenset({"technician"})',
        'if "technician" in cleaned: pass',
        'errors["technician"] = "A technician login must be linked."',
        'technician = data.get("technician")',
        'User.objects.filter(username="manager")',
        'User.objects.filter(username__in=("technician", "evaluator"))',
        'DEMO_USERNAMES = ("admin", "hr", "manager")',
        'specs = {"hr": {"role": Role.HR}, "admin": {"role": Role.ADMIN}}',
        'labels = {"evaluator": "signed by"}',
        'path("admin/", admin.site.urls)',
        'class Role(TextChoices):\n    HR = "hr", "HR"\n    ADMIN = "admin", "Admin"',
    ],
)
def test_field_name_or_username_is_left_alone(source):
    assert not role_literals_in(_snippet(source)), source


def test_template_role_comparisons_are_caught():
    text = (
        '<input name="technician">\n'
        '{% if user_role != "manager" %}a{% endif %}\n'
        "{% elif 'hr' in roles %}\n"
        '{% include "x.html" with role="admin" %}\n'
        '{% if row.role == "required" %}{% url "admin:index" %}{% endif %}\n'
    )
    hits = role_literals_in_template(text, "t.html")
    assert [(h.line, h.value) for h in hits] == [(2, "manager"), (3, "hr"), (4, "admin")]


def test_imports_under_type_checking_do_not_count():
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from tiers.models import Tier\n"
        "else:\n"
        "    import runtime_else\n"
        "def f():\n"
        "    import in_function\n"
    )
    found = [(node.lineno, scope) for node, scope in _runtime_imports(tree)]
    assert found == [(1, "module level"), (5, "module level"), (7, "in def f()")]


def test_cycles_are_found_with_their_chain():
    def edge(a, b):
        return Import(a, b, f"{a}.py", 1, f"import {b}", "module level")

    graph = {"a": {"b": edge("a", "b")}, "b": {"c": edge("b", "c"), "a": edge("b", "a")}, "c": {"a": edge("c", "a")}}
    graph["d"] = {"a": edge("d", "a")}
    assert strongly_connected(graph) == [["a", "b", "c"]]
    assert [(i.importer, i.target) for i in shortest_cycle(graph, ["a", "b", "c"])] == [("a", "b"), ("b", "a")]


# ---- Rule 5: services raise one error type ---------------------------------------------------

# What a service may raise: a broken rule is ``ApplicationError`` (careerladder/core/errors.py, a
# Django ValidationError the edges translate); who may act is Django's ``PermissionDenied``.
SERVICE_RAISES = {"ApplicationError", "PermissionDenied"}


def service_raise_violations() -> list[str]:
    found = []
    for path in sorted(ROOT.glob("*/services.py")) + sorted(ROOT.glob("careerladder/core/models.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Raise) or node.exc is None:
                continue  # a bare ``raise`` re-raises what was caught
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            name = exc.attr if isinstance(exc, ast.Attribute) else getattr(exc, "id", None)
            if name in SERVICE_RAISES or (isinstance(node.exc, ast.Name) and node.exc.id in {"exc", "error"}):
                continue
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: raise {ast.unparse(node.exc)[:80]}")
    return found


def test_services_raise_only_application_errors():
    """Every service refuses with ``ApplicationError`` (or ``PermissionDenied`` for who may act),
    so every edge translates refusals one way."""
    found = service_raise_violations()
    assert not found, "Services raise another exception type:\n  " + "\n  ".join(found)


if __name__ == "__main__":
    # Every finding, without pytest-django (which needs Django to boot first): handy while a
    # move leaves the project unable to import. ``python -m tests.test_architecture``
    for app in _existing_layered_apps():
        for finding in layer_violations(app):
            print("Rule 1:", finding)
        for finding in edge_violations(app):
            print("Rule 2:", finding)
    graph = import_graph()
    for component in strongly_connected(graph):
        print("Rule 3:", " -> ".join(f"{i.where} {i.importer} -> {i.target}" for i in shortest_cycle(graph, component)))
    for app in project().apps():
        for finding in describe_role_literals(python_role_literals(app)):
            print("Rule 4:", finding)
    for finding in describe_role_literals(template_role_literals()):
        print("Rule 4:", finding)
    for finding in service_raise_violations():
        print("Rule 5:", finding)
