"""The paper's detection protocol trains on VOC's `difficult` boxes; the mmdet-ignore-difficult variant and the
VOC07 test set ignore them.

detectron2's VOC loader keeps difficult objects as ordinary instances (detectron2/data/datasets/pascal_voc.py:
"We include 'difficult' samples in training", the skip commented out), and the paper trained with detectron2
(ssl-transfer@416913f detectron2-configs/frozen/byol.yaml L19: voc_2007_trainval + voc_2012_trainval).
"""
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from mmengine.registry import init_default_scope

from .conftest import REPO


def difficult_flags(data_root: Path, year: str, split: str) -> list[bool]:
    """Every object's `difficult` flag over an image set, in file order, read from the XML files themselves."""
    ids = (data_root / year / 'ImageSets' / 'Main' / f'{split}.txt').read_text().split()
    return [obj.find('difficult').text == '1' for i in ids
            for obj in ET.parse(data_root / year / 'Annotations' / f'{i}.xml').getroot().iter('object')]


def packed_targets(cfg, loader: str, data_root: Path) -> tuple[int, int]:
    """(training targets, ignored boxes) over every image of a data loader of ``cfg``, through its pipeline."""
    from mmdet.registry import DATASETS

    import mmssl_transfer.datasets  # noqa: F401  registers CheckedVOCDataset
    from mmssl_transfer.apis import set_data_root
    set_data_root(cfg, str(data_root))
    init_default_scope('mmdet')
    dataset = DATASETS.build(cfg[loader].dataset)
    targets = ignored = 0
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        targets += len(sample.gt_instances)
        ignored += len(sample.ignored_instances)
    return targets, ignored


@pytest.fixture(scope='module')
def voc_flags(toy_voc):
    train = difficult_flags(toy_voc, 'VOC2007', 'trainval') + difficult_flags(toy_voc, 'VOC2012', 'trainval')
    test = difficult_flags(toy_voc, 'VOC2007', 'test')
    assert 0 < sum(train) < len(train) and sum(test) > 0  # the toy tree has both kinds of boxes
    return train, test


def test_paper_protocol_trains_on_difficult_boxes_as_ordinary_targets(toy_voc, voc_flags):
    from mmssl_transfer.apis import load_config
    cfg = load_config(str(REPO / 'configs' / 'det' / 'byol_frozen_voc.py'))
    assert packed_targets(cfg, 'train_dataloader', toy_voc) == (len(voc_flags[0]), 0)


def test_ignore_difficult_variant_and_the_test_set_ignore_them(toy_voc, voc_flags):
    from mmssl_transfer.apis import load_config
    train, test = voc_flags
    variant = load_config(str(REPO / 'configs' / 'det' / 'byol_frozen_voc.py'), variants=['mmdet-ignore-difficult'])
    assert packed_targets(variant, 'train_dataloader', toy_voc) == (train.count(False), train.count(True))
    paper = load_config(str(REPO / 'configs' / 'det' / 'byol_frozen_voc.py'))
    assert packed_targets(paper, 'test_dataloader', toy_voc) == (test.count(False), test.count(True))


def test_train_on_difficult_is_refused_for_a_test_set(toy_voc):
    from mmssl_transfer.datasets import CheckedVOCDataset
    with pytest.raises(ValueError, match='train_on_difficult=True is for training sets'):
        CheckedVOCDataset(data_root=str(toy_voc), ann_file='VOC2007/ImageSets/Main/test.txt',
                          data_prefix=dict(sub_data_root='VOC2007/'), test_mode=True, train_on_difficult=True)


def test_boxes_ignored_for_their_size_stay_ignored(toy_voc, voc_flags):
    from mmssl_transfer.datasets import CheckedVOCDataset
    init_default_scope('mmdet')
    dataset = CheckedVOCDataset(data_root=str(toy_voc), ann_file='VOC2007/ImageSets/Main/trainval.txt',
                                data_prefix=dict(sub_data_root='VOC2007/'), train_on_difficult=True,
                                filter_cfg=dict(bbox_min_size=10_000), pipeline=[])
    flags = [inst['ignore_flag'] for i in range(len(dataset)) for inst in dataset.get_data_info(i)['instances']]
    assert flags and set(flags) == {1}
