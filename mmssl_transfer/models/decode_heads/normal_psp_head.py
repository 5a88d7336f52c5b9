"""PSPNet pyramid-pooling head for surface normals: K-cluster classification or direct regression."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from mmseg.models.decode_heads import PSPHead
from mmseg.models.losses import accuracy
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor

from ...normal_cluster_file import load_normal_clusters
from ..losses import GlobalMeanCrossEntropyLoss
from .label_downsampling import LabelDownsampleMixin, nearest_downsample

#: target mode -> default loss of that mode.
DEFAULT_LOSSES: dict[str, dict[str, Any]] = {
    # the paper's NLLLoss(ignore_index=-1): the mean over valid pixels (avg_non_ignore) of the whole batch, on
    # any number of processes
    'clusters': dict(type=GlobalMeanCrossEntropyLoss.__name__, loss_weight=1.0, avg_non_ignore=True),
    'regression': dict(type='CosineNormalLoss', mode='cosine', loss_weight=1.0),
}


@MODELS.register_module()
class NormalPSPHead(LabelDownsampleMixin, PSPHead):
    """mmseg's ``PSPHead`` predicting a unit surface normal per pixel.

    One knob, ``target``, picks the formulation:

    - ``'clusters'`` (the paper's, after Wang et al. 2015): classify each pixel into K k-means normal
      clusters with cross-entropy; the predicted normal is the softmax-weighted sum of the centres,
      renormalised. Ground-truth labels are the nearest centre of each valid ground-truth normal, computed on
      the fly, so the centres are the only extra data. They come from ``cluster_file`` or, when that is None,
      from the dataset through ``NormalClustersHook``; they are saved in the model checkpoint (a buffer).
    - ``'regression'``: predict 3 channels, normalise, and train with :class:`CosineNormalLoss`.

    Ground truth is read from each data sample's ``gt_normal_map`` (3xHxW) and ``gt_sem_seg`` (255 = invalid).

    Args:
        target: ``'clusters'`` or ``'regression'``. Defaults to ``'clusters'``.
        num_clusters: K of the clusters mode. Defaults to 40.
        cluster_file: ``.npy`` file with the (K, 3) centres, or None to receive them later. Defaults to None.
        loss_decode: Loss config(s); None takes the mode's default (:data:`DEFAULT_LOSSES`). Defaults to None.
        label_downsample: The loss sees the ground truth downsampled by this factor (nearest, as the paper's
            ``segm_downsampling_rate``) instead of the logits upsampled to it; 1 = full resolution. Defaults to 1.
        **kwargs: Arguments of ``PSPHead`` (``in_channels``, ``channels``, ``pool_scales``, ``norm_cfg``...);
            ``num_classes`` is derived from ``target``.
    """

    def __init__(self, target: str = 'clusters', num_clusters: int = 40, cluster_file: str | None = None,
                 loss_decode: dict | list | None = None, **kwargs: Any) -> None:
        if target not in DEFAULT_LOSSES:
            raise ValueError(f'target must be one of {sorted(DEFAULT_LOSSES)}, got {target!r}')
        if 'num_classes' in kwargs:
            raise ValueError('NormalPSPHead derives num_classes from target/num_clusters; do not set it')
        centres = None
        if target == 'clusters' and cluster_file is not None:
            centres = torch.from_numpy(load_normal_clusters(cluster_file))
            num_clusters = centres.shape[0]
        num_classes = num_clusters if target == 'clusters' else 3
        super().__init__(num_classes=num_classes, loss_decode=loss_decode or DEFAULT_LOSSES[target], **kwargs)
        self.target = target
        self.register_buffer('cluster_centres', torch.zeros(num_clusters, 3) if centres is None else centres)

    @property
    def clusters_ready(self) -> bool:
        """True once real (non-zero) cluster centres are set."""
        return bool(self.cluster_centres.abs().sum() > 0)

    def set_clusters(self, centres: np.ndarray | Tensor) -> None:
        """Copy (K, 3) centres into the head (renormalised); K must match the head's classes."""
        centres = torch.as_tensor(np.asarray(centres, dtype=np.float32))
        if centres.shape != self.cluster_centres.shape:
            raise ValueError(f'the head expects {tuple(self.cluster_centres.shape)} cluster centres, got '
                             f'{tuple(centres.shape)}')
        self.cluster_centres.copy_(F.normalize(centres, dim=1).to(self.cluster_centres))

    def logits_to_normals(self, seg_logits: Tensor) -> Tensor:
        """(N, C, H, W) head output -> (N, 3, H, W) unit normals."""
        if self.target == 'clusters':
            self._require_clusters()
            probs = seg_logits.float().softmax(dim=1)
            normals = torch.einsum('nkhw,kc->nchw', probs, self.cluster_centres.float())
        else:
            normals = seg_logits.float()
        return F.normalize(normals, dim=1)

    def assign_clusters(self, normals: Tensor) -> Tensor:
        """(N, 3, H, W) unit normals -> (N, H, W) index of the nearest centre."""
        self._require_clusters()
        return torch.einsum('nchw,kc->nkhw', normals, self.cluster_centres.to(normals)).argmax(dim=1)

    def _require_clusters(self) -> None:
        if not self.clusters_ready:
            raise RuntimeError('NormalPSPHead(target="clusters") has no cluster centres: give cluster_file, or '
                               'add NormalClustersHook with a dataset whose cluster file exists '
                               '(tools/compute_normal_clusters.py DATA_ROOT)')

    def _stack_normals(self, batch_data_samples: list, size: tuple[int, int]) -> Tensor:
        """Stack the samples' ``gt_normal_map`` padded (bottom/right, zeros) to ``size`` like the images."""
        stacked = []
        for sample in batch_data_samples:
            normals = sample.gt_normal_map.data
            height, width = normals.shape[-2:]
            stacked.append(F.pad(normals, (0, size[1] - width, 0, size[0] - height), value=0.0))
        return torch.stack(stacked)

    def loss_by_feat(self, seg_logits: Tensor, batch_data_samples: list) -> dict:
        """Cross-entropy on nearest-centre labels (clusters) or the cosine loss (regression), valid pixels."""
        validity = self._stack_batch_gt(batch_data_samples).squeeze(1)  # downsampled by label_downsample
        padded_size = tuple(batch_data_samples[0].gt_sem_seg.data.shape[-2:])
        normals = nearest_downsample(self._stack_normals(batch_data_samples, padded_size),
                                     self.label_downsample).to(seg_logits)
        seg_logits = resize(seg_logits, size=validity.shape[-2:], mode='bilinear',
                            align_corners=self.align_corners)
        valid = validity != self.ignore_index
        losses_decode = self.loss_decode if isinstance(self.loss_decode, torch.nn.ModuleList) else [self.loss_decode]
        losses = {}
        if self.target == 'clusters':
            labels = self.assign_clusters(normals)
            labels[~valid] = self.ignore_index
            for loss_decode in losses_decode:
                losses[loss_decode.loss_name] = loss_decode(seg_logits, labels, weight=None,
                                                            ignore_index=self.ignore_index)
            losses['acc_seg'] = accuracy(seg_logits, labels, ignore_index=self.ignore_index)
        else:
            for loss_decode in losses_decode:
                losses[loss_decode.loss_name] = loss_decode(seg_logits, normals, valid)
        return losses
