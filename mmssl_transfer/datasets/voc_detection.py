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

    Raises :class:`VOCDataError` when ``data_root``, the image-set list, an annotation XML or a listed image is
    missing, or when an annotation XML does not parse or lacks a field VOC requires.
    """

    def __init__(self, *args, train_on_difficult: bool = False, **kwargs) -> None:
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
        """mmdet's instances; with ``train_on_difficult`` a box ignored only for being difficult becomes a target."""
        instances = super()._parse_instance_info(raw_ann_info, minus_one=minus_one)
        if self.train_on_difficult:
            for instance in instances:
                if instance['ignore_flag'] and not self._below_min_size(instance['bbox']):
                    instance['ignore_flag'] = 0
        return instances

    def _below_min_size(self, bbox: List[float]) -> bool:
        """mmdet's other reason to ignore a box: a side shorter than ``filter_cfg.bbox_min_size``."""
        min_size = self.bbox_min_size
        return min_size is not None and (bbox[2] - bbox[0] < min_size or bbox[3] - bbox[1] < min_size)
