"""One table of default data roots (the catalog's DATA_ROOTS): the configs, the suite and the probes follow it."""
import ast
from pathlib import Path

from mmssl_transfer.datasets.catalog import EXTRA_DATASETS
from mmssl_transfer.datasets.classification import (CDFSL_DATASETS, CLS_DATASETS, DATA_ROOTS, DENSE_DATA_ROOTS,
                                                    FEWSHOT_DATASETS, MANY_SHOT_DATASETS, MANY_SHOT_FEWSHOT_DATASETS)

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
#: The registered dataset class of each dense-prediction entry of the table, as its configs name it.
DENSE_TYPES = {'CheckedVOCDataset': 'voc0712', 'ADE20KDataset': 'ade20k', 'NYUv2NormalsDataset': 'nyuv2',
               'NYUv2DepthDataset': 'nyuv2'}


def _top_level_data_root(path: Path) -> str | None:
    for node in ast.parse(path.read_text()).body:
        if (isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ['data_root']
                and isinstance(node.value, ast.Constant)):
            return node.value.value
    return None


def test_every_config_data_root_is_the_table_root():
    """Each config that sets ``data_root`` uses its dataset's default root (the NYUv2 root once disagreed)."""
    by_type = {**DENSE_TYPES, **{spec.type: name for name, spec in CLS_DATASETS.items()}}
    seen = set()
    for path in sorted(CONFIGS.rglob('*.py')):
        root = _top_level_data_root(path)
        if root is None:
            continue
        text = path.read_text()
        (dataset,) = {name for type_, name in by_type.items() if f"'{type_}'" in text}
        assert root.rstrip('/') == DATA_ROOTS[dataset], path
        seen.add(dataset)
    assert set(DENSE_DATA_ROOTS) | set(MANY_SHOT_DATASETS) <= seen


def test_the_table_holds_every_dataset_once_and_nyuv2_in_the_prepared_layout():
    assert set(DATA_ROOTS) == set(DENSE_DATA_ROOTS) | set(CLS_DATASETS)
    assert len(DATA_ROOTS) == len(DENSE_DATA_ROOTS) + len(CLS_DATASETS)
    assert DATA_ROOTS['nyuv2'] == 'data/nyuv2_normals'


def test_the_dataset_lists_partition_the_table():
    """Many-shot (11), CD-FSL (4) and the datasets beyond the paper (CLEVR count) split the table; few-shot = the
    many-shot ones with K-shot (all but VOC07) followed by CD-FSL."""
    assert set(MANY_SHOT_DATASETS) | set(CDFSL_DATASETS) | set(EXTRA_DATASETS) == set(CLS_DATASETS)
    assert not (set(MANY_SHOT_DATASETS) | set(CDFSL_DATASETS)) & set(EXTRA_DATASETS)
    assert not set(MANY_SHOT_DATASETS) & set(CDFSL_DATASETS) and len(CDFSL_DATASETS) == 4
    assert set(MANY_SHOT_DATASETS) - set(MANY_SHOT_FEWSHOT_DATASETS) == {'voc2007'}
    assert FEWSHOT_DATASETS == MANY_SHOT_FEWSHOT_DATASETS + CDFSL_DATASETS


def test_the_suite_reads_the_table():
    """The paper suite sets no data_roots: every cell runs on the table's root, NYUv2 included."""
    from mmssl_transfer.suite import expand, load_suite
    from mmssl_transfer.tasks import TASKS

    assert TASKS['linear'].default_datasets == TASKS['finetune'].default_datasets == MANY_SHOT_DATASETS
    assert TASKS['linear'].datasets == TASKS['finetune'].datasets == MANY_SHOT_DATASETS + EXTRA_DATASETS
    assert TASKS['fewshot'].default_datasets == FEWSHOT_DATASETS
    assert TASKS['fewshot'].datasets == FEWSHOT_DATASETS + EXTRA_DATASETS
    cells = expand(load_suite('paper'), resolve_zoo=False)
    assert {cell.dataset: cell.data_root for cell in cells} == {d: DATA_ROOTS[d] for d in {c.dataset for c in cells}}
    assert {'voc0712', 'ade20k', 'nyuv2'} <= {cell.dataset for cell in cells}


def test_the_readme_lists_every_dataset_with_its_default_folder_and_prepare_action():
    """One row per dataset in the README's Datasets table: the catalog's folder and how prepare_data.py gets it."""
    from mmssl_transfer.datasets.catalog import DATA_SOURCES
    text = (Path(__file__).resolve().parents[2] / 'README.md').read_text()
    rows = {line.split('|')[1].strip(' `'): [c.strip() for c in line.split('|')[2:-1]]
            for line in text.split('## Datasets', 1)[1].split('\n## ', 1)[0].splitlines()
            if line.startswith('| `')}
    assert set(rows) == set(DATA_ROOTS)
    for name, (folder, _source, prepare, _size) in rows.items():
        assert folder == f'`{DATA_ROOTS[name]}`', name
        assert prepare.startswith('`--download`' if DATA_SOURCES[name].downloadable else '`--from-archive'), name
