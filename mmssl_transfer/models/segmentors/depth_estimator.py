"""mmseg's ``DepthEstimator`` that refuses the test mode mmseg 1.2.2 silently ignores."""
from __future__ import annotations

from typing import Any

from mmseg.models.segmentors import DepthEstimator
from mmseg.registry import MODELS

#: Test modes that run what they say in mmseg 1.2.2 (its ``inference`` overwrites the 'slide' result with a
#: whole-image one).
WORKING_TEST_MODES = ('whole', 'slide_flip')


@MODELS.register_module()
class CheckedDepthEstimator(DepthEstimator):
    """``DepthEstimator`` (predicts ``pred_depth_map``) whose ``test_cfg.mode`` must be 'whole' or 'slide_flip'.

    In mmseg 1.2.2 ``DepthEstimator.inference`` runs whole-image inference for ``mode='slide'`` without a word;
    a config asking for it gets a ValueError instead of numbers from another protocol.
    """

    def __init__(self, *args: Any, test_cfg: dict | None = None, **kwargs: Any) -> None:
        mode = (test_cfg or {}).get('mode', 'whole')
        if mode not in WORKING_TEST_MODES:
            raise ValueError(f"test_cfg.mode {mode!r}: mmseg 1.2.2's DepthEstimator runs whole-image inference "
                             f"for it; use one of {WORKING_TEST_MODES}")
        super().__init__(*args, test_cfg=test_cfg, **kwargs)
