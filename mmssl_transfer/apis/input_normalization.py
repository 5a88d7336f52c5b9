"""The backbone's input normalisation against the config's ``data_preprocessor``: a mismatch is an error.

Each method was pre-trained on input normalised its own way (SimCLR-v1/v2: [0, 1] pixels, i.e. mean 0, std 255;
the others: ImageNet mean/std). Which normalisation a task's protocol feeds is the paper's choice per task
family (detection: each method its own; ADE20K and NYUv2: ImageNet's for every method) unless a named variant
says otherwise (``imagenet-input``, ``method-input``). :func:`check_input_normalization` compares the config's
``model.data_preprocessor`` with what the paper's config of the run's family and variants gives the detected
method (:func:`~.protocol_diff.paper_reference`), so a SimCLR backbone run on ImageNet-normalised input under
the paper's detection protocol stops with one line naming both, instead of training on the wrong input.
:class:`InputNormalizationHook` runs the check once the method is known: after the backbone loaded its
checkpoint (training) or after the trained model's provenance was read (testing).
"""
from __future__ import annotations

import numpy as np
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from ..checkpoints import NORMALIZATIONS, ZOO, ambiguous_candidates
from ..engine.hooks import PROVENANCE_KEY, backbone_provenance
from ..project_files import variant_configs
from .errors import LaunchError
from .protocol_diff import paper_reference, split_variant

#: How the two normalisations read in messages.
_NAMES = {'unit': '[0, 1] input (mean [0, 0, 0], std [255, 255, 255])',
          'imagenet': 'ImageNet mean/std (mean [123.675, 116.28, 103.53], std [58.395, 57.12, 57.375])'}


def expected_normalization(cfg: Config, method: str) -> tuple[list[float], list[float]] | None:
    """(mean, std) the paper's config of ``cfg``'s family and named variants feeds ``method``; None if unknown."""
    candidates = (method,) if method in ZOO else ambiguous_candidates(method)
    if not candidates or any(c not in ZOO for c in candidates):
        return None
    task = cfg.get('transfer_task') or {}
    files = variant_configs(str(task.get('task')))  # not linear-scaling-x<k> (no file) nor a default's name
    names = [n for n in split_variant(str(task.get('variant') or ''))[0] if n in files]
    found = set()
    for candidate in candidates:
        preprocessor = paper_reference(cfg, names, method=candidate).get('model', {}).get('data_preprocessor', {})
        if 'mean' not in preprocessor or 'std' not in preprocessor:
            return None
        found.add((tuple(float(m) for m in preprocessor['mean']), tuple(float(s) for s in preprocessor['std'])))
    if len(found) != 1:
        return None  # the candidates disagree: the checkpoint loader refuses such a file already
    mean, std = found.pop()
    return list(mean), list(std)


def check_input_normalization(cfg: Config, method: str) -> None:
    """Raise a :class:`LaunchError` when ``cfg``'s data preprocessor does not normalise as ``method`` expects."""
    preprocessor = cfg.get('model', {}).get('data_preprocessor', {}) or {}
    expected = expected_normalization(cfg, method)
    if expected is None or 'mean' not in preprocessor or 'std' not in preprocessor:
        return
    mean, std = [float(m) for m in preprocessor['mean']], [float(s) for s in preprocessor['std']]
    if np.allclose(mean, expected[0], atol=1e-3) and np.allclose(std, expected[1], atol=1e-3):
        return
    variant = str((cfg.get('transfer_task') or {}).get('variant') or 'paper')
    alternatives = {'det': "--variant imagenet-input (ImageNet mean/std for every method)",
                    'seg': "--variant method-input (each method's own normalisation)",
                    'normals': "--variant method-input (each method's own normalisation)"}
    task = str((cfg.get('transfer_task') or {}).get('task'))
    hint = f'; or run the named variant {alternatives[task]}' if task in alternatives else ''
    raise LaunchError(
        f'{cfg.filename}: backbone {method} under protocol {variant!r} expects '
        f'{_describe(*expected)}, but model.data_preprocessor has mean {_short(mean)}, std {_short(std)}: set '
        f'model.data_preprocessor mean={_short(expected[0])}, std={_short(expected[1])}{hint}')


def _describe(mean: list[float], std: list[float]) -> str:
    for name, text in _NAMES.items():
        ref_mean, ref_std = NORMALIZATIONS[name]
        if np.allclose(mean, ref_mean) and np.allclose(std, ref_std):
            return text
    return f'mean {_short(mean)}, std {_short(std)}'


def _short(values: list[float]) -> str:
    return '[' + ', '.join(f'{v:g}' for v in values) + ']'


@HOOKS.register_module()
class InputNormalizationHook(Hook):
    """Run :func:`check_input_normalization` once the backbone's method is known (training and testing)."""

    priority = 'VERY_LOW'

    def before_train(self, runner) -> None:
        self._check(runner, backbone_provenance(runner.model) or runner.message_hub.get_info(PROVENANCE_KEY))

    def before_test(self, runner) -> None:  # the trained model's provenance, else the method the config names
        named = (runner.cfg.get('model', {}).get('backbone', {}) or {}).get('method')
        self._check(runner, runner.message_hub.get_info(PROVENANCE_KEY) or {'method': named})

    @staticmethod
    def _check(runner, provenance: dict | None) -> None:
        if provenance and provenance.get('method'):
            check_input_normalization(runner.cfg, str(provenance['method']))
