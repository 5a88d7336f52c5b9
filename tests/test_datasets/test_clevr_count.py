"""CLEVR count (Kotar et al.'s image-level structural task): the catalog row, the reader against torchvision's
CLEVRClassification on the toy CLEVR (written in CLEVR v1.0's format), the splits, and broken input."""
import io
import json
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from mmssl_transfer.datasets import catalog
from mmssl_transfer.datasets.classification import CLEVRCount, DatasetLayoutError, build_cls_dataset
from mmssl_transfer.datasets.preparation import check_dataset
from mmssl_transfer.datasets.preparation.tool import prepare_data
from mmssl_transfer.tasks import IMAGE_STRUCTURAL, TASKS, category_of


@pytest.fixture(scope='module')
def toy_clevr(tmp_path_factory) -> Path:
    from mmssl_transfer.toy.classification import make_toy_classification
    return make_toy_classification(tmp_path_factory.mktemp('clevr'), datasets=('clevr_count',)) / 'clevr_count'


def test_catalog_row_is_beyond_the_papers_lists_but_every_probe_accepts_it():
    spec = catalog.CLS_DATASETS['clevr_count']
    assert (spec.type, spec.metric, spec.num_classes, spec.in_paper) == ('CLEVRCount', 'top1', 8, False)
    assert dict(spec.source.counts) == {'trainval': 70000, 'test': 15000} and 'test = CLEVR val' in spec.split_note
    paper_lists = (catalog.MANY_SHOT_DATASETS, catalog.CDFSL_DATASETS, catalog.FEWSHOT_DATASETS,
                   catalog.MANY_SHOT_FEWSHOT_DATASETS)
    assert all('clevr_count' not in names for names in paper_lists)
    assert len(catalog.MANY_SHOT_DATASETS) == 11 and len(catalog.FEWSHOT_DATASETS) == 14
    assert catalog.EXTRA_DATASETS == ('clevr_count',)
    for task in ('linear', 'finetune', 'fewshot'):
        assert 'clevr_count' in TASKS[task].datasets and 'clevr_count' not in TASKS[task].default_datasets
    assert 'clevr_count' not in TASKS['feature_properties'].datasets
    assert category_of('linear', 'clevr_count') == IMAGE_STRUCTURAL


def test_a_run_of_the_papers_linear_protocol_on_clevr_says_so():
    """The protocol is the paper's (its solver, grid and transform), though the paper has no CLEVR number."""
    from mmssl_transfer.results import RecordedBackbone, make_record
    from mmssl_transfer.tasks import PAPER_LINEAR_PROTOCOL
    record = make_record('linear', RecordedBackbone('byol', ''), dataset='clevr_count', protocol='paper',
                         metrics={'top1': 50.0}, primary_metric='top1', settings=PAPER_LINEAR_PROTOCOL)
    assert record.paper_protocol is True and record.hparams['variant'] == 'paper'


def test_the_papers_tables_leave_clevr_out_of_their_columns_and_averages():
    from mmssl_transfer.analysis.tables import TABLES, build_table
    from mmssl_transfer.results import RecordedBackbone, make_record
    assert all(column.dataset != 'clevr_count' for table in TABLES for column in table.columns)

    def linear(dataset, top1, ece):
        return make_record('linear', RecordedBackbone('byol', ''), dataset=dataset, protocol='paper',
                           metrics={'top1': top1, 'ece': ece}, primary_metric='top1', variant='paper')
    records = [linear('dtd', 70.0, 4.0), linear('pets', 80.0, 6.0), linear('clevr_count', 50.0, 30.0)]
    tables = {t.name: t for t in TABLES}
    linear_table, _ = build_table(tables['linear_manyshot'], records)
    assert len(linear_table.columns) == 2 + 1 and linear_table.iloc[0, -1] == pytest.approx(75.0)  # + Avg
    calibration, _ = build_table(tables['calibration'], records)
    assert calibration.loc[calibration.index[0], 'Lin unscaled'] == pytest.approx(5.0)  # dtd and pets only


def test_download_source_is_torchvisions_url_and_md5():
    from torchvision.datasets import CLEVRClassification
    (remote,) = catalog.DATA_SOURCES['clevr_count'].files
    assert remote.url == CLEVRClassification._URL == 'https://dl.fbaipublicfiles.com/clevr/CLEVR_v1.0.zip'
    assert dict(remote.digests) == {'md5': CLEVRClassification._MD5} and remote.into == 'root'


def test_reader_agrees_with_torchvision_on_the_toy_clevr(toy_clevr, tmp_path):
    """The toy is CLEVR v1.0's format: torchvision's own reader reads it, with the same images and counts."""
    from torchvision.datasets import CLEVRClassification
    (tmp_path / 'clevr').mkdir()
    (tmp_path / 'clevr' / 'CLEVR_v1.0').symlink_to(toy_clevr, target_is_directory=True)
    for ours, theirs in (('trainval', 'train'), ('test', 'val')):
        dataset = build_cls_dataset('clevr_count', str(toy_clevr), ours)
        reference = CLEVRClassification(str(tmp_path), split=theirs)
        infos = [dataset.get_data_info(i) for i in range(len(dataset))]
        assert [Path(i['img_path']).name for i in infos] == [p.name for p in reference._image_files]
        assert [i['gt_label'] + 3 for i in infos] == reference._labels
    assert CLEVRCount.METAINFO['classes'] == ('3', '4', '5', '6', '7', '8', '9', '10')


def test_splits_hold_out_val_from_train_and_test_is_clevr_val(toy_clevr):
    trainval, train, val, test = (build_cls_dataset('clevr_count', str(toy_clevr), s)
                                  for s in ('trainval', 'train', 'val', 'test'))
    names = {s: {Path(d.get_data_info(i)['img_path']).name for i in range(len(d))}
             for s, d in (('trainval', trainval), ('train', train), ('val', val), ('test', test))}
    assert names['train'] | names['val'] == names['trainval'] and not names['train'] & names['val']
    assert len(names['val']) == int(0.2 * len(names['trainval']))  # the paper's unstratified 20%
    assert all(n.startswith('CLEVR_val_') for n in names['test'])
    assert all(n.startswith('CLEVR_train_') for n in names['trainval'])


def test_a_torchvision_download_folder_is_read_too(toy_clevr, tmp_path):
    shutil.copytree(toy_clevr, tmp_path / 'clevr' / 'clevr' / 'CLEVR_v1.0')
    dataset = build_cls_dataset('clevr_count', str(tmp_path / 'clevr'), 'test')
    assert dataset.data_root == str(tmp_path / 'clevr' / 'clevr' / 'CLEVR_v1.0') and len(dataset) == 20


def test_check_counts_against_the_official_70000_and_15000(toy_clevr):
    check = check_dataset('clevr_count', toy_clevr, decode=3)
    assert check.state == 'other counts' and check.counts == {'trainval': (45, 70000), 'test': (20, 15000)}
    assert check.classes == (5, 8) and 'decoded 3 of 3' in check.notes[-1]
    assert check_dataset('clevr_count', toy_clevr, official=False).usable


@pytest.fixture
def broken(toy_clevr, tmp_path) -> Path:
    root = tmp_path / 'clevr'
    shutil.copytree(toy_clevr, root)
    return root


def test_missing_scenes_json_is_one_error_naming_it(broken, capsys):
    scenes = broken / 'scenes' / 'CLEVR_val_scenes.json'
    scenes.unlink()
    with pytest.raises(DatasetLayoutError, match=r'CLEVRCount: .*CLEVR_val_scenes\.json: missing') as info:
        build_cls_dataset('clevr_count', str(broken), 'test')
    assert info.value.path == scenes and 'prepare_data.py clevr_count --check' in str(info.value)
    console = Console(file=io.StringIO(), width=250)
    assert prepare_data('clevr_count', broken, check=True, any_counts=True, console=console) == 1
    assert f'{scenes}: missing' in console.file.getvalue()


def test_missing_image_is_one_error_naming_it(broken):
    image = broken / 'images' / 'train' / 'CLEVR_train_000007.png'
    image.unlink()
    with pytest.raises(DatasetLayoutError, match='image listed in the annotations is missing') as info:
        build_cls_dataset('clevr_count', str(broken), 'train')
    assert info.value.path == image
    check = check_dataset('clevr_count', broken, official=False)
    assert check.state == 'broken' and check.problems == [f'{image}: image listed in the annotations is missing']


@pytest.mark.parametrize('text, problem', [
    ('{"scenes": [', 'not a JSON file'),
    ('{"info": {}}', "malformed annotations (KeyError: 'scenes')"),
    (json.dumps({'scenes': [{'image_filename': 'CLEVR_val_000000.png', 'objects': [{}] * 2}]}),
     'CLEVR_val_000000.png: 2 objects, CLEVR scenes have 3..10'),
])
def test_malformed_scenes_name_the_file(broken, text, problem):
    scenes = broken / 'scenes' / 'CLEVR_val_scenes.json'
    scenes.write_text(text)
    with pytest.raises(DatasetLayoutError, match='CLEVR_val_scenes.json') as info:
        build_cls_dataset('clevr_count', str(broken), 'test')
    assert info.value.path == scenes and problem in info.value.problem
