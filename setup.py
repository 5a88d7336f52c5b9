"""mmssl-transfer: how well does a self-supervised ResNet-50 transfer? (OpenMMLab extension).

``install_requires`` comes from requirements/runtime.txt. torch, torchvision and mmcv are not declared here:
tools/install.sh installs them first, because their build is a per-machine choice (CPU or CUDA torch wheel;
mmcv-lite with torchvision-backed ops, or mmcv compiled with its C++/CUDA ops) that pip cannot make.
A built wheel carries ``configs/`` and ``tools/`` as ``mmssl_transfer/.mim/`` (OpenMMLab's convention), where
:mod:`mmssl_transfer.project_files` finds them when no source checkout is at hand.
"""
import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent
MIM_FOLDERS = ('configs', 'tools')


class BuildPyWithMim(build_py):
    """build_py that also copies configs/ and tools/ into the built package as ``mmssl_transfer/.mim/``."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads them from the checkout itself
            return
        for folder in MIM_FOLDERS:
            target = Path(self.build_lib) / 'mmssl_transfer' / '.mim' / folder
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(ROOT / folder, target, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


def requirements(name: str) -> list[str]:
    """Requirement lines of requirements/<name>.txt without comments."""
    lines = (line.split('#', 1)[0].strip() for line in (ROOT / 'requirements' / name).read_text().splitlines())
    return [line for line in lines if line]


setup(
    name='mmssl_transfer',
    version='0.1.0',
    description='Transfer benchmark of self-supervised ResNet-50 checkpoints on OpenMMLab '
    '(Ericsson et al., CVPR 2021)',
    long_description=(ROOT / 'README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    python_requires='>=3.11',
    install_requires=requirements('runtime.txt'),
    extras_require={'tests': requirements('tests.txt')},
    packages=find_packages(include=['mmssl_transfer', 'mmssl_transfer.*']),
    package_data={'mmssl_transfer': ['analysis/paper_reference/*.csv', 'probes/*.csv', 'suite/suites/*.yaml']},
    cmdclass={'build_py': BuildPyWithMim},
    license='Apache-2.0',
)
