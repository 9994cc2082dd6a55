"""The layers of docs/architecture.md hold in the code: each app imports only what its row allows, and no two
modules import each other, not even through an import tucked inside a function."""
import ast
import re

from support import REPO

LAYERS_DOC = REPO / "docs" / "architecture.md"


def allowed_imports():
    """``{app: {apps it may import}}`` from the Layers table of docs/architecture.md."""
    text = LAYERS_DOC.read_text()
    table = text[text.index("## Layers"):].split("\n## ", 1)[0]
    allowed = {}
    for row in re.findall(r"^\| *([a-z_]+) *\| *([^|]*)\|", table, flags=re.M):
        app, may_import = row
        if app != "app":
            allowed[app] = {name.strip() for name in may_import.split(",") if name.strip() not in ("", "—")}
    return allowed


APPS = allowed_imports()


def modules():
    """``{dotted name: path}`` of every Python module of the project's apps."""
    found = {}
    for app in APPS:
        for path in (REPO / app).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = modules()


def imported_modules(path, package):
    """The project modules ``path`` imports, anywhere in it (top level or inside a function), as
    (line, module): ``from a.b import c`` names ``a.b.c`` when that is a module, else ``a.b``."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name:
                yield node.lineno, name


def import_graph():
    graph = {}
    for name, path in MODULES.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        graph[name] = {(line, target) for line, target in imported_modules(path, package) if target != name}
    return graph


GRAPH = import_graph()


def test_the_layers_table_names_every_app_and_only_lower_ones():
    assert set(APPS) == {"core", "ontology", "assets", "enrichment", "governance", "search", "dam"}
    order = list(APPS)
    for app, lower in APPS.items():
        assert all(order.index(other) < order.index(app) for other in lower), f"{app} may import a higher app"


def test_apps_import_only_what_their_layer_allows():
    breaches = [
        f"{MODULES[module].relative_to(REPO)}:{line} imports {target}"
        for module, targets in GRAPH.items() for line, target in targets
        if (app := module.split(".")[0]) != (other := target.split(".")[0]) and other not in APPS[app]
    ]
    assert not breaches, "imports that docs/architecture.md does not allow:\n" + "\n".join(sorted(breaches))


def test_no_module_imports_itself_back():
    """Counting imports inside functions too: one that exists to dodge a cycle closes one here."""
    edges = {module: {target for _, target in targets} for module, targets in GRAPH.items()}
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in edges:
        if module not in index:
            visit(module)
    assert not cycles, f"modules that import each other: {cycles}"


def test_the_checks_see_imports_inside_functions():
    lines = {target for _, target in GRAPH["enrichment.apps"]}
    assert "enrichment.services.pipeline" in lines
