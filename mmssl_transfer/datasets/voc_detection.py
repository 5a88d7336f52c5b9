"""PASCAL VOC detection that checks its files and names the one that is missing or broken.

mmdet's :class:`VOCDataset` reads the layout below; on a missing folder, an annotation that does not parse or
an image listed but absent it fails with a bare ``FileNotFoundError``/``ParseError`` (or, for a missing image,
only when the data loader first reaches it, deep inside a worker). :class:`CheckedVOCDataset` is the same
dataset with those three checks done up front, each one :class:`VOCDataError` naming the file. It can also train
on the boxes VOC marks ``difficult`` (``train_on_difficult=True``), as detectron2, and so the transfer paper, does::

    data_root/                      e.g. data/VOCdevkit/
        VOC2007/
            Annotations/<id>.xml
            JPEGImages/<id>.jpg
            ImageSets/Main/{trainval,test}.txt
        VOC2012/
            ...
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import List, Union

from mmdet.datasets import VOCDataset
from mmdet.registry import DATASETS
from mmengine.fileio import exists

from mmssl_transfer.errors import InputError

#: How a VOC box (1-based inclusive pixel indices) becomes ``x1, y1, x2, y2``: mmdet's ``xml_style.py`` truncates
#: to int and subtracts 1 from all four (pixel indices; its evaluation adds the legacy +1 back); detectron2's
#: ``data/datasets/pascal_voc.py`` subtracts 1 from x1 and y1 only (continuous coordinates: the box (1, W) covers
#: the whole image), which its flip and IoU treat exactly.
BOX_CONVENTIONS = {
    'mmdet': lambda c: [int(v) - 1 for v in c],
    'detectron2': lambda c: [c[0] - 1.0, c[1] - 1.0, c[2], c[3]],
}


class VOCDataError(InputError):
    """A VOC tree is missing, or one of its files is missing or broken (the message names the file)."""


@DATASETS.register_module()
class CheckedVOCDataset(VOCDataset):
    """:class:`mmdet.datasets.VOCDataset` that validates the tree and every listed file.

    Arguments are those of :class:`mmdet.datasets.VOCDataset`, plus:

    Args:
        train_on_difficult: Make ``difficult`` boxes ordinary training targets (``ignore_flag=0``) instead of
            boxes the assigners ignore (mmdet's VOC default). detectron2's VOC loader keeps them as ordinary
            instances (``detectron2/data/datasets/pascal_voc.py``: "We include 'difficult' samples in
            training"), which is how the paper's detection models were trained. Boxes ignored for
            ``filter_cfg.bbox_min_size`` stay ignored. Training sets only: the VOC07 test metric must ignore
            difficult boxes. Defaults to False.
        box_convention: ``'mmdet'`` (default, mmdet's ``[x1-1, y1-1, x2-1, y2-1]`` in integer pixels) or
            ``'detectron2'`` (``[x1-1, y1-1, x2, y2]``, the paper's framework; evaluate it with
            ``VOCMultiIoUMetric(use_legacy_coordinate=False)``, which then equals detectron2's evaluator).

    Raises :class:`VOCDataError` when ``data_root``, the image-set list, an annotation XML or a listed image is
    missing, or when an annotation XML does not parse or lacks a field VOC requires.
    """

    def __init__(self, *args, train_on_difficult: bool = False, box_convention: str = 'mmdet', **kwargs) -> None:
        if box_convention not in BOX_CONVENTIONS:
            raise ValueError(f'CheckedVOCDataset: box_convention must be one of {sorted(BOX_CONVENTIONS)}, '
                             f'got {box_convention!r}')
        self.box_convention = box_convention
        self.train_on_difficult = bool(train_on_difficult)
        if self.train_on_difficult and kwargs.get('test_mode', False):
            raise ValueError('CheckedVOCDataset: train_on_difficult=True is for training sets; a test set must '
                             'keep difficult boxes ignored (the VOC07 metric ignores them)')
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Check the data root and image-set list exist, then load as VOCDataset does."""
        if self.data_root and not exists(self.data_root, backend_args=self.backend_args):
            raise VOCDataError(
                f'{self.data_root}: VOC data root not found (expected VOCdevkit with VOC2007/ and VOC2012/; '
                'set it with --data-root or --cfg-options)')
        if not exists(self.ann_file, backend_args=self.backend_args):
            raise VOCDataError(f'{self.ann_file}: VOC image-set list not found')
        return super().load_data_list()

    def parse_data_info(self, img_info: dict) -> Union[dict, List[dict]]:
        """Parse one annotation like VOCDataset, naming the XML or image when either is broken."""
        xml_path = img_info['xml_path']
        if not exists(xml_path, backend_args=self.backend_args):
            raise VOCDataError(f'{xml_path}: annotation listed in {self.ann_file} is missing')
        try:
            data_info = super().parse_data_info(img_info)
        except ET.ParseError as exc:
            raise VOCDataError(f'{xml_path}: annotation XML does not parse ({exc})') from None
        except (AttributeError, TypeError, ValueError, KeyError) as exc:
            raise VOCDataError(f'{xml_path}: annotation XML is malformed '
                               f'(missing or invalid size/object/bndbox field: {exc})') from None
        if not exists(data_info['img_path'], backend_args=self.backend_args):
            raise VOCDataError(f"{data_info['img_path']}: image listed in {self.ann_file} is missing")
        return data_info

    def _parse_instance_info(self, raw_ann_info: ET.Element, minus_one: bool = True) -> List[dict]:
        """mmdet's instances, boxes in :attr:`box_convention`; with ``train_on_difficult`` a box ignored only for
        being difficult becomes a target."""
        instances = super()._parse_instance_info(raw_ann_info, minus_one=False)
        boxes = [obj.find('bndbox') for obj in raw_ann_info.findall('object')
                 if obj.find('name').text in self._metainfo['classes']]
        for instance, box in zip(instances, boxes):
            corners = [float(box.find(k).text) for k in ('xmin', 'ymin', 'xmax', 'ymax')]
            instance['bbox'] = BOX_CONVENTIONS[self.box_convention](corners)
        if self.train_on_difficult:
            for instance in instances:
                if instance['ignore_flag'] and not self._below_min_size(instance['bbox']):
                    instance['ignore_flag'] = 0
        return instances

    def _below_min_size(self, bbox: List[float]) -> bool:
        """mmdet's other reason to ignore a box: a side shorter than ``filter_cfg.bbox_min_size``."""
        min_size = self.bbox_min_size
        return min_size is not None and (bbox[2] - bbox[0] < min_size or bbox[3] - bbox[1] < min_size)
