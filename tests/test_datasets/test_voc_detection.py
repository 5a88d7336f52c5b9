"""CheckedVOCDataset reads the VOC layout like mmdet's VOCDataset and names the file that is missing or broken."""
import shutil

import pytest

from mmssl_transfer.datasets.voc_detection import VOCDataError
from mmssl_transfer.toy import make_toy


@pytest.fixture(scope='module')
def voc_root(tmp_path_factory):
    return make_toy('voc', tmp_path_factory.mktemp('voc'), seed=0, num_train=4, num_test=2)


def build(data_root, year='VOC2007', split='trainval'):
    from mmdet.registry import DATASETS

    import mmssl_transfer.datasets.voc_detection  # noqa: F401  registers CheckedVOCDataset
    return DATASETS.build(dict(
        type='CheckedVOCDataset', data_root=str(data_root), ann_file=f'{year}/ImageSets/Main/{split}.txt',
        data_prefix=dict(sub_data_root=f'{year}/'), test_mode=split == 'test', pipeline=[]))


def test_loads_toy_tree_with_difficult_boxes_ignored(voc_root):
    dataset = build(voc_root)
    assert len(dataset) == 2
    info = dataset.get_data_info(0)
    assert info['img_path'].endswith('VOC2007/JPEGImages/000001.jpg')
    assert (info['height'], info['width']) == (96, 128)
    assert info['instances'] and {i['ignore_flag'] for i in info['instances']} <= {0, 1}
    assert dataset.metainfo['dataset_type'] == 'VOC2007'


def test_missing_data_root_names_it(tmp_path):
    missing = tmp_path / 'data' / 'VOCdevkit'
    with pytest.raises(VOCDataError, match=f'{missing}.*VOC data root not found'):
        build(missing)


def test_unparsable_annotation_names_the_xml(voc_root, tmp_path):
    root = tmp_path / 'VOCdevkit'
    shutil.copytree(voc_root, root)
    broken = root / 'VOC2007' / 'Annotations' / '000002.xml'
    broken.write_text('<annotation><object><name>car</name>')  # truncated
    with pytest.raises(VOCDataError, match=f'{broken}: annotation XML does not parse'):
        build(root)


def test_listed_but_missing_image_names_the_image(voc_root, tmp_path):
    root = tmp_path / 'VOCdevkit'
    shutil.copytree(voc_root, root)
    image = root / 'VOC2007' / 'JPEGImages' / '000001.jpg'
    image.unlink()
    with pytest.raises(VOCDataError, match=f'{image}: image listed in .*trainval.txt is missing'):
        build(root)


def test_missing_annotation_names_the_xml(voc_root, tmp_path):
    root = tmp_path / 'VOCdevkit'
    shutil.copytree(voc_root, root)
    (root / 'VOC2007' / 'Annotations' / '000003.xml').unlink()
    with pytest.raises(VOCDataError, match='000003.xml: annotation listed in .*test.txt is missing'):
        build(root, split='test')
