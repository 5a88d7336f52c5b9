"""Hand the dataset's normal cluster centres to the normals head (clusters mode).

The centres are data (``<data_root>/normal_clusters_k40.npy``, read by ``NYUv2NormalsDataset`` into its
metainfo), so they follow ``--data-root`` like the images do; the head keeps them as a buffer, so a trained
checkpoint carries the centres it was trained with.
"""
from __future__ import annotations

import numpy as np
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class NormalClustersHook(Hook):
    """Set the decode head's cluster centres from the dataset before training (and before testing if unset).

    Training always takes the train set's centres. Validation and testing keep the centres the checkpoint
    brought and only fill them in when the head has none; a mismatch with the dataset's file is logged.
    Does nothing for heads without ``set_clusters`` or in regression mode.
    """

    priority = 'HIGH'

    def before_train(self, runner) -> None:
        self._apply(runner, runner.train_loop.dataloader.dataset, overwrite=True)

    def before_val(self, runner) -> None:
        self._apply(runner, runner.val_loop.dataloader.dataset, overwrite=False)

    def before_test(self, runner) -> None:
        self._apply(runner, runner.test_loop.dataloader.dataset, overwrite=False)

    @staticmethod
    def _apply(runner, dataset, overwrite: bool) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        head = getattr(model, 'decode_head', None)
        if getattr(head, 'target', None) != 'clusters' or not hasattr(head, 'set_clusters'):
            return
        centres = dataset.metainfo.get('normal_clusters')
        if centres is None:
            if not head.clusters_ready:
                raise FileNotFoundError(
                    f'{dataset.metainfo.get("normal_clusters_file", "the dataset")}: no cluster centres file; '
                    'the normals head needs the cluster centres of the train normals; run '
                    'tools/compute_normal_clusters.py DATA_ROOT (or tools/prepare_nyuv2_normals.py)')
            return
        centres = np.asarray(centres, dtype=np.float32)
        if head.clusters_ready and not overwrite:
            current = head.cluster_centres.detach().cpu().numpy()
            if current.shape != centres.shape or not np.allclose(current, centres, atol=1e-5):
                print_log('the model checkpoint carries other normal cluster centres than '
                          f'{dataset.metainfo.get("normal_clusters_file")}; keeping the checkpoint\'s',
                          logger='current', level=30)
            return
        head.set_clusters(centres)
