"""The code passes the project's lint (flake8 and isort at 120 columns, settings in setup.cfg), as CI runs it."""
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize('command', [['flake8', '.'], ['isort', '--check-only', '--diff', '.']],
                         ids=['flake8', 'isort'])
def test_the_tree_is_lint_clean(command):
    proc = subprocess.run([sys.executable, '-m', *command], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f'{" ".join(command)} found problems:\n{proc.stdout[-4000:]}{proc.stderr[-2000:]}'
