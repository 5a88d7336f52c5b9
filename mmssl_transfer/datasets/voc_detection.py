"""PASCAL VOC detection that checks its files and names the one that is missing or broken.

mmdet's :class:`VOCDataset` reads the layout below; on a missing folder, an annotation that does not parse or
an image listed but absent it fails with a bare ``FileNotFoundError``/``ParseError`` (or, for a missing image,
only when the data loader first reaches it, deep inside a worker). :class:`CheckedVOCDataset` is the same
dataset with those three checks done up front, each one :class:`VOCDataError` naming the file::

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

    Arguments are those of :class:`mmdet.datasets.VOCDataset`. Raises :class:`VOCDataError` when
    ``data_root``, the image-set list, an annotation XML or a listed image is missing, or when an
    annotation XML does not parse or lacks a field VOC requires.
    """

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
