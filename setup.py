"""mmssl-transfer: how well does a self-supervised ResNet-50 transfer? (OpenMMLab extension).

``install_requires`` comes from requirements/runtime.txt. torch, torchvision and mmcv are not declared here:
tools/install.sh installs them first, because their build is a per-machine choice (CPU or CUDA torch wheel;
mmcv-lite with torchvision-backed ops, or mmcv compiled with its C++/CUDA ops) that pip cannot make.
"""
from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).parent


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
    license='Apache-2.0',
)
