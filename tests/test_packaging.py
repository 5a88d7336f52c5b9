"""A built wheel holds every module and data file of the package, and importing the datasets and evaluation
packages registers their classes (what ``custom_imports`` relies on), in a fresh interpreter."""
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / 'mmssl_transfer'


def test_the_wheel_ships_every_module_and_the_package_data(tmp_path):
    source = tmp_path / 'src'
    source.mkdir()
    shutil.copy(REPO / 'setup.py', source)
    shutil.copy(REPO / 'README.md', source)
    for folder in ('requirements', 'configs', 'tools'):  # install_requires; the .mim copy of configs and tools
        shutil.copytree(REPO / folder, source / folder, ignore=shutil.ignore_patterns('__pycache__'))
    shutil.copytree(PACKAGE, source / 'mmssl_transfer', ignore=shutil.ignore_patterns('__pycache__'))
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', '.', '-w',
                    str(tmp_path / 'dist')], cwd=source, check=True, capture_output=True, timeout=300)
    wheel, = (tmp_path / 'dist').glob('mmssl_transfer-*.whl')
    shipped = {name for name in zipfile.ZipFile(wheel).namelist() if name.startswith('mmssl_transfer/')}
    wanted = {p.relative_to(REPO).as_posix() for p in PACKAGE.rglob('*')
              if p.is_file() and '__pycache__' not in p.parts and p.suffix in ('.py', '.csv', '.yaml')}
    assert wanted - shipped == set()
    assert {'mmssl_transfer/datasets/__init__.py', 'mmssl_transfer/evaluation/metrics/__init__.py'} <= shipped
    assert any(n.startswith('mmssl_transfer/analysis/paper_reference/') and n.endswith('.csv') for n in shipped)
    # configs/ and tools/ ship as mmssl_transfer/.mim/ (where project_files finds them without a checkout)
    for folder in ('configs', 'tools'):
        wanted = {f'mmssl_transfer/.mim/{p.relative_to(REPO).as_posix()}' for p in (REPO / folder).rglob('*')
                  if p.is_file() and '__pycache__' not in p.parts}
        assert wanted - shipped == set(), folder
    requires = [line for line in zipfile.ZipFile(wheel).read(
        next(n for n in zipfile.ZipFile(wheel).namelist() if n.endswith('METADATA'))).decode().splitlines()
        if line.startswith('Requires-Dist:')]
    assert any('mmdet==3.3.0' in line for line in requires) and not any('torch' in line for line in requires)


def test_an_installed_package_finds_configs_and_tools_in_its_mim_copy(tmp_path, monkeypatch):
    """Without a checkout beside the package, the suite's configs/ and tools/ come from ``.mim``; a missing copy
    is one clear error naming the setting that fixes it."""
    import mmssl_transfer.project_files as project_files
    package = tmp_path / 'site-packages' / 'mmssl_transfer'
    (package / '.mim' / 'configs').mkdir(parents=True)
    (package / '.mim' / 'tools').mkdir()
    monkeypatch.delenv(project_files.ROOT_VARIABLE, raising=False)
    monkeypatch.setattr(project_files, '_PACKAGE', package)
    monkeypatch.setattr(project_files, '_CANDIDATES', (('the source checkout', package.parent),
                                                       ('the installed package data', package / '.mim')))
    assert project_files.configs_dir() == package / '.mim' / 'configs'
    shutil.rmtree(package / '.mim')
    with pytest.raises(project_files.ProjectFilesError, match=project_files.ROOT_VARIABLE):
        project_files.project_root()
    monkeypatch.setenv(project_files.ROOT_VARIABLE, str(REPO))
    assert project_files.project_root() == REPO


def test_importing_datasets_and_evaluation_registers_every_class():
    code = '''
import mmssl_transfer.datasets, mmssl_transfer.evaluation
from mmdet.registry import DATASETS as DET_DATASETS, METRICS as DET_METRICS
from mmpretrain.registry import DATASETS as CLS_DATASETS, METRICS as CLS_METRICS
from mmseg.registry import DATASETS as SEG_DATASETS, METRICS as SEG_METRICS, TRANSFORMS as SEG_TRANSFORMS
assert DET_DATASETS.get('CheckedVOCDataset') and DET_METRICS.get('VOCMultiIoUMetric')
assert CLS_DATASETS.get('TransferDTD') and CLS_DATASETS.get('ChestXray14') and CLS_METRICS.get('TransferClsMetric')
assert SEG_DATASETS.get('NYUv2NormalsDataset') and SEG_METRICS.get('NormalAngularMetric')
assert all(SEG_TRANSFORMS.get(t) for t in ('CheckSegMapSize', 'LoadNormalAnnotation', 'NormalResize'))
print('registered')
'''
    proc = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and 'registered' in proc.stdout, proc.stderr[-2000:]
