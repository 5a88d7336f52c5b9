"""mmssl-transfer: how well does a self-supervised ResNet-50 transfer? (OpenMMLab extension)."""
from setuptools import find_packages, setup

setup(
    name='mmssl_transfer',
    version='0.1.0',
    description='Transfer benchmark of self-supervised ResNet-50 checkpoints on OpenMMLab '
    '(Ericsson et al., CVPR 2021)',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    python_requires='>=3.11',
    packages=find_packages(include=['mmssl_transfer', 'mmssl_transfer.*']),
    package_data={'mmssl_transfer': ['analysis/paper_reference/*.csv', 'suite/suites/*.yaml']},
    license='Apache-2.0',
)
