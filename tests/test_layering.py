"""The package reads top-down: every import of every module under mmssl_transfer/ points to its own package or
to a layer above it (parsed with ast, imports inside functions included), and analysis reads result records,
the dataset catalog and the method zoo only."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / 'mmssl_transfer'

#: Top (imported by everything) to bottom (imports anything above): the floors of DESIGN.md section 1. Packages
#: in one layer do not import each other. A new top-level module or package gets a row here.
LAYERS: tuple[tuple[str, ...], ...] = (
    ('errors', 'compat', 'fileio', 'progress'),  # the bad-input policy, the OpenMMLab fixes, safe file I/O, progress
    # the process group, fetching, the package root and two shared formats
    ('distributed', 'download', '__init__', 'normal_cluster_file', 'project_files'),
    ('torchrun',),  # the launcher wrapper of dist_*.sh: reads the processes' error files (distributed)
    ('checkpoints',),
    ('datasets',),  # catalog.py a leaf; no dataset imports a model or a metric
    ('evaluation',),  # metrics work on predictions alone
    ('models',),
    ('tasks',),  # the table of tasks: imports the dataset catalog only
    ('results',),  # the record and its one builder, which names a run's variant against its task's row
    ('cli',),  # run_tool: the one place tools handle errors (above errors, distributed and results)
    ('engine',),
    ('probes', 'toy'),
    ('suite',),
    ('analysis',),
    ('apis', 'config_generation'),  # what the tools call
)
LAYER_OF = {name: i for i, names in enumerate(LAYERS) for name in names}
#: Analysis depends on result records and the catalogs only, never on how the results were produced.
ANALYSIS_MAY_IMPORT = ('mmssl_transfer.results', 'mmssl_transfer.errors', 'mmssl_transfer.tasks',
                       'mmssl_transfer.datasets.catalog', 'mmssl_transfer.checkpoints')


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


def is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split('.'))
    return path.with_suffix('.py').is_file() or (path / '__init__.py').is_file()


def imported_modules(path: Path) -> set[str]:
    """Every mmssl_transfer module ``path`` imports (``from pkg import sub`` counts as ``pkg.sub``)."""
    name = module_name(path)
    package = name if path.name == '__init__.py' else name.rpartition('.')[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')[:len(package.split('.')) - node.level + 1]
                module = '.'.join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ''
            subs = [f'{module}.{alias.name}' for alias in node.names if is_module(f'{module}.{alias.name}')]
            found.update(subs or [module])
    return {m for m in found if m == 'mmssl_transfer' or m.startswith('mmssl_transfer.')}


def top_level(module: str) -> str:
    parts = module.split('.')
    return parts[1] if len(parts) > 1 else '__init__'


MODULES = sorted(PACKAGE.rglob('*.py'))


def test_every_top_level_module_has_a_layer():
    names = {top_level(module_name(p)) for p in MODULES}
    assert not names - set(LAYER_OF), f'add these to LAYERS in {__file__}: {sorted(names - set(LAYER_OF))}'


@pytest.mark.parametrize('path', MODULES, ids=lambda p: module_name(p))
def test_imports_point_up_the_layers(path):
    own = top_level(module_name(path))
    wrong = [m for m in imported_modules(path)
             if top_level(m) != own and LAYER_OF.get(top_level(m), len(LAYERS)) >= LAYER_OF[own]]
    assert not wrong, f'{module_name(path)} (layer {LAYER_OF[own]}: {own}) imports a lower or sibling layer: {wrong}'


@pytest.mark.parametrize('path', sorted((PACKAGE / 'analysis').rglob('*.py')), ids=lambda p: module_name(p))
def test_analysis_reads_results_and_catalogs_only(path):
    foreign = [m for m in imported_modules(path) if top_level(m) != 'analysis'
               and not any(m == a or m.startswith(a + '.') for a in ANALYSIS_MAY_IMPORT)]
    assert not foreign, f'{module_name(path)} imports {foreign}'


def test_the_import_parser_sees_relative_and_from_package_imports():
    source = PACKAGE / 'apis' / 'suite_runs.py'
    assert {'mmssl_transfer.analysis', 'mmssl_transfer.suite.runner'} <= imported_modules(source)
    head = PACKAGE / 'models' / 'decode_heads' / 'normal_psp_head.py'
    assert 'mmssl_transfer.normal_cluster_file' in imported_modules(head)  # from ...normal_cluster_file import
    apis = PACKAGE / 'apis' / '__init__.py'
    assert 'mmssl_transfer.compat' in imported_modules(apis)  # from mmssl_transfer import compat


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The cycles of a directed graph (one per strongly connected component of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_no_import_cycle_among_the_package_modules():
    """No module imports a module that imports it back, counting imports inside functions (the dataset catalog is
    a leaf of facts; the factory that imports the dataset classes sits beside the classes)."""
    graph = {module_name(p): imported_modules(p) - {module_name(p)} for p in MODULES}
    assert import_cycles(graph) == []
    assert not {m for m in graph['mmssl_transfer.datasets.catalog'] if m.startswith('mmssl_transfer.datasets')}
    assert import_cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}) == [['a', 'b', 'c']]
