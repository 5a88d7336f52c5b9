"""The one bad-input policy: every tool ends with run_tool, exits 2 on a bad path, and prints one format.

Every ``tools/*.py`` runs here as a real process with a path that does not exist (or cannot be used), all
processes started together so that their interpreter and OpenMMLab start-ups overlap.
"""
import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mmssl_transfer.cli import run_tool
from mmssl_transfer.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, InputError

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / 'tools'
PACKAGE = REPO / 'mmssl_transfer'

#: Tools without a path to get wrong, left out of the bad-path runs: check_install.py takes only --quick and
#: must run before the package is known to import (it never imports mmssl_transfer.errors); generate_configs.py
#: takes only --check and writes into the repository's own configs/ (it still ends with run_tool).
NO_PATH_ARGUMENT = {'check_install.py', 'generate_configs.py'}
#: Tools that end with run_tool; check_install.py is the one exception (see above).
WITHOUT_RUN_TOOL = {'check_install.py'}


def bad_path_arguments(bad: Path, tmp: Path) -> dict[str, list[str]]:
    """Per tool, a command line whose one wrong thing is a path (``bad`` does not exist; ``afile`` is a file)."""
    return {
        'train.py': [f'{bad}/config.py'],
        'test.py': [f'{bad}/config.py', f'{bad}/iter_4.pth'],
        'convert_checkpoint.py': [f'{bad}/model.pth', f'{tmp}/out.pth'],
        'extract_features.py': ['--checkpoint', f'{bad}/model.pth', '--dataset', 'dtd', '--data-root', f'{bad}/dtd'],
        'linear_probe.py': ['--checkpoint', f'{bad}/model.pth', '--dataset', 'dtd', '--out', f'{tmp}/r.json'],
        'fewshot.py': ['--checkpoint', f'{bad}/model.pth', '--dataset', 'eurosat', '--out-dir', f'{tmp}/fs'],
        'finetune_sweep.py': [f'{bad}/config.py', '--work-dir', f'{tmp}/sweep'],
        'feature_properties.py': ['--checkpoint', f'{bad}/model.pth', '--dataset', 'dtd', '--out', f'{tmp}/fp.json'],
        'make_toy_data.py': [f'{tmp}/afile'],
        'prepare_nyuv2_normals.py': [f'{bad}/metadata', f'{bad}/images', f'{tmp}/nyuv2'],
        'prepare_data.py': ['dtd', '--from-archive', f'{bad}/dtd-r1.0.1.tar.gz', '--root', f'{tmp}/dtd'],
        'compute_normal_clusters.py': [f'{bad}/nyuv2_normals'],
        'run_suite.py': [f'{bad}/suite.yaml', '--out', f'{tmp}/suite'],
        'summarize.py': [f'{bad}/results', '--out', f'{tmp}/summary'],
    }


def python_tools() -> list[str]:
    return sorted(p.name for p in TOOLS.glob('*.py'))


@pytest.fixture(scope='module')
def bad_path_runs(tmp_path_factory):
    """Every tool run once on its bad path: tool -> (bad path, completed process)."""
    tmp = tmp_path_factory.mktemp('bad_input')
    (tmp / 'afile').write_text('a file where a folder is expected')
    bad = tmp / 'missing'
    env = {**os.environ, 'PYTHONPATH': f'{REPO}{os.pathsep}{os.environ.get("PYTHONPATH", "")}',
           'OMP_NUM_THREADS': '1'}
    started = {tool: subprocess.Popen([sys.executable, str(TOOLS / tool), *args], cwd=tmp, env=env, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for tool, args in bad_path_arguments(bad, tmp).items()}
    runs = {}
    for tool, process in started.items():
        stdout, stderr = process.communicate(timeout=600)
        runs[tool] = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    return bad, tmp, runs


def test_every_python_tool_has_a_bad_path_case():
    assert set(bad_path_arguments(Path('b'), Path('t'))) == set(python_tools()) - NO_PATH_ARGUMENT


@pytest.mark.parametrize('tool', sorted(set(python_tools()) - WITHOUT_RUN_TOOL))
def test_tool_main_ends_with_run_tool(tool):
    """The one place where a tool handles errors: ``main`` ends with ``return run_tool('<tool>', ...)``."""
    tree = ast.parse((TOOLS / tool).read_text())
    main = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == 'main')
    last = main.body[-1]
    assert isinstance(last, ast.Return) and isinstance(last.value, ast.Call), ast.dump(last)
    assert ast.unparse(last.value.func) == 'run_tool' and ast.literal_eval(last.value.args[0]) == tool
    assert not any(isinstance(node, ast.Try) for node in ast.walk(tree)), f'{tool} catches errors itself'


@pytest.mark.parametrize('tool', sorted(set(python_tools()) - NO_PATH_ARGUMENT))
def test_bad_path_exits_2_with_the_common_message_naming_the_path(bad_path_runs, tool):
    bad, tmp, runs = bad_path_runs
    result = runs[tool]
    assert result.returncode == EXIT_BAD_INPUT, result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith(f'{tool}: error: '), result.stderr
    named = str(tmp / 'afile') if tool == 'make_toy_data.py' else str(bad)
    assert named in first, result.stderr
    assert 'Traceback' not in result.stderr


def test_run_tool_prints_every_line_of_the_message_and_returns_2(capsys):
    def body():
        raise InputError('data/x: dataset folder not found\nexpected layout:\nx\n└── images')

    assert run_tool('t.py', body) == EXIT_BAD_INPUT
    assert capsys.readouterr().err == 't.py: error: data/x: dataset folder not found\nexpected layout:\nx\n└── images\n'


def test_run_tool_names_the_file_of_a_builtin_file_error(tmp_path, capsys):
    assert run_tool('t.py', lambda: open(tmp_path / 'nope.txt')) == EXIT_BAD_INPUT
    assert capsys.readouterr().err == f't.py: error: {tmp_path / "nope.txt"}: No such file or directory\n'


def test_run_tool_returns_the_body_status():
    assert run_tool('t.py', lambda: 1) == 1 and run_tool('t.py', lambda: None) == 0


def test_a_bug_keeps_its_traceback():
    """Not bad input: a plain ValueError, KeyError or TypeError is a bug and propagates (exit status 1)."""
    for bug in (ValueError('bug'), KeyError('bug'), TypeError('bug'), RuntimeError('bug')):
        def body():
            raise bug
        with pytest.raises(type(bug)):
            run_tool('t.py', body)


def test_ctrl_c_exits_130_with_the_hint(capsys):
    def body():
        raise KeyboardInterrupt

    assert run_tool('t.py', body, interrupted_hint='run it again to resume') == EXIT_INTERRUPTED
    assert capsys.readouterr().err == 't.py: interrupted; run it again to resume\n'


#: Exceptions of the package that are not bad input: a suite cell's failure (recorded in the store, never
#: raised out of the runner), the runner's SIGTERM signal, and an mmcv op missing from mmcv-lite (the install).
NOT_INPUT_ERRORS = {'CellFailed', '_Stop', '_CellStopped', 'LiteOpsUnavailable'}  # control flow, not bad input


def test_every_error_class_of_the_package_is_an_input_error():
    checked = []
    for path in sorted(PACKAGE.rglob('*.py')):
        for node in ast.parse(path.read_text()).body:
            if not (isinstance(node, ast.ClassDef) and node.bases):
                continue
            bases = {ast.unparse(b).rsplit('.', 1)[-1] for b in node.bases}
            if not any(b.endswith(('Error', 'Exception', 'Interrupt', 'Skip', 'Unavailable')) for b in bases):
                continue
            if node.name in NOT_INPUT_ERRORS or path == PACKAGE / 'errors.py':
                continue
            module = '.'.join(path.relative_to(REPO).with_suffix('').parts)
            cls = getattr(importlib.import_module(module), node.name)
            assert issubclass(cls, InputError), f'{module}.{node.name} is not an InputError'
            checked.append(node.name)
    assert {'SuiteError', 'SummaryError', 'StoreError', 'SegMapSizeError', 'CheckpointError'} <= set(checked)
