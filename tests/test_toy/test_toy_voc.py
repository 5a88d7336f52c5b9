"""The toy VOC tree has the real VOCdevkit layout, valid XML with difficult flags, and boxes on the shapes."""
import xml.etree.ElementTree as ET

import numpy as np
from PIL import Image

from mmssl_transfer.toy import make_toy
from mmssl_transfer.toy.voc import TOY_VOC_SHAPES


def test_layout_splits_and_annotations(tmp_path):
    root = make_toy('voc', tmp_path, seed=0, num_train=6, num_test=3, image_size=(64, 80))
    assert root == tmp_path / 'VOCdevkit'
    lists = {(year, split): (root / year / 'ImageSets/Main' / f'{split}.txt').read_text().split()
             for year, split in [('VOC2007', 'trainval'), ('VOC2007', 'test'), ('VOC2012', 'trainval')]}
    assert [len(v) for v in lists.values()] == [3, 3, 3]
    assert not set(lists['VOC2007', 'trainval']) & set(lists['VOC2007', 'test'])
    difficult = []
    for (year, _), ids in lists.items():
        for img_id in ids:
            image = Image.open(root / year / 'JPEGImages' / f'{img_id}.jpg')
            assert image.size == (80, 64) and image.mode == 'RGB'
            ann = ET.parse(root / year / 'Annotations' / f'{img_id}.xml').getroot()
            assert (ann.findtext('size/width'), ann.findtext('size/height')) == ('80', '64')
            objects = ann.findall('object')
            assert objects, img_id
            assert any(o.findtext('difficult') == '0' for o in objects)
            for obj in objects:
                assert obj.findtext('name') in TOY_VOC_SHAPES
                x1, y1, x2, y2 = (int(obj.findtext(f'bndbox/{k}')) for k in ('xmin', 'ymin', 'xmax', 'ymax'))
                assert 1 <= x1 < x2 <= 80 and 1 <= y1 < y2 <= 64
                difficult.append(obj.findtext('difficult') == '1')
    assert any(difficult) or len(difficult) < 6


def test_shapes_are_painted_inside_their_boxes(tmp_path):
    root = make_toy('voc', tmp_path, seed=1, num_train=2, num_test=1)
    ann = ET.parse(root / 'VOC2007/Annotations/000001.xml').getroot()
    pixels = np.asarray(Image.open(root / 'VOC2007/JPEGImages/000001.jpg'), dtype=np.float32)
    for obj in ann.findall('object'):
        x1, y1, x2, y2 = (int(obj.findtext(f'bndbox/{k}')) for k in ('xmin', 'ymin', 'xmax', 'ymax'))
        centre = pixels[(y1 + y2) // 2 - 1, (x1 + x2) // 2 - 1]
        colour, _ = TOY_VOC_SHAPES[obj.findtext('name')]
        assert np.abs(centre - np.array(colour)).max() < 40  # JPEG-compressed solid colour


def test_same_seed_same_tree_and_some_boxes_difficult(tmp_path):
    a = make_toy('voc', tmp_path / 'a', seed=3, num_train=24, num_test=4)
    b = make_toy('voc', tmp_path / 'b', seed=3, num_train=24, num_test=4)
    xml_a = sorted(p.read_text() for p in a.rglob('*.xml'))
    assert xml_a == sorted(p.read_text() for p in b.rglob('*.xml'))
    assert any('<difficult>1</difficult>' in x for x in xml_a)
