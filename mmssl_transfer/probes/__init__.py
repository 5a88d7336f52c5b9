"""Recognition probes on frozen or finetuned backbones: cached features, linear probe, few-shot, finetune sweep.

    from mmssl_transfer.probes import linear_probe_result, fewshot_results, finetune_sweep, SweepOptions

The paper's settings they default to (grids, batch, protocols) are literals of :mod:`mmssl_transfer.tasks`; their
records (and the variant each names) are built by :func:`mmssl_transfer.results.make_record`.
"""
from .errors import ProbeInputError
from .experiments import checkpoint_identity, fewshot_results, linear_probe_result, result_filename, write_results
from .features import (ExtractionSpec, FeatureCache, FeatureSet, GAPFeatureExtractor, build_extractor, cached_features,
                       extract_features)
from .fewshot import Episodes, FewShotSkip, episode_accuracies, loop_episode_accuracies, run_fewshot, sample_episodes
from .finetune import AUGMENTATIONS, GridPoint, SweepOptions, finetune_sweep
from .linear_probe import C_MODES, LINEAR_PROTOCOLS, LinearProbeOutcome, LinearProtocol, run_linear_probe
from .logistic import LogisticModel, fit_logistic, fit_logistic_converged, fit_logistic_paper
from .paper_c import paper_selected_c

__all__ = [
    'ProbeInputError', 'checkpoint_identity', 'fewshot_results', 'linear_probe_result', 'result_filename',
    'write_results', 'ExtractionSpec', 'FeatureCache', 'FeatureSet', 'GAPFeatureExtractor', 'build_extractor',
    'cached_features', 'extract_features', 'Episodes', 'FewShotSkip', 'episode_accuracies',
    'loop_episode_accuracies', 'run_fewshot', 'sample_episodes', 'AUGMENTATIONS',
    'GridPoint', 'SweepOptions', 'finetune_sweep', 'C_MODES', 'LINEAR_PROTOCOLS', 'LinearProbeOutcome',
    'LinearProtocol', 'run_linear_probe', 'LogisticModel', 'fit_logistic',
    'fit_logistic_converged', 'fit_logistic_paper', 'paper_selected_c',
]
