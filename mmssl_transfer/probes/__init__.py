"""Recognition probes on frozen or finetuned backbones: cached features, linear probe, few-shot, finetune sweep.

    from mmssl_transfer.probes import linear_probe_result, fewshot_results, finetune_sweep, SweepOptions
"""
from .errors import ProbeInputError
from .experiments import (PAPER_LINEAR_PROTOCOL, checkpoint_identity, fewshot_results, linear_probe_result,
                          result_filename, write_results)
from .features import (ExtractionSpec, FeatureCache, FeatureSet, GAPFeatureExtractor, build_extractor, cached_features,
                       extract_features)
from .fewshot import (PAPER_FEWSHOT_PROTOCOL, Episodes, FewShotSkip, episode_accuracies, loop_episode_accuracies,
                      run_fewshot, sample_episodes)
from .finetune import (AUGMENTATIONS, FINETUNE_WDS, HEAD_INITS, LR_GRID, PAPER_FINETUNE_PROTOCOL,
                       PAPER_TOTAL_BATCH_SIZE, GridPoint, SweepOptions, finetune_sweep)
from .linear_probe import C_MODES, LINEAR_PROTOCOLS, LinearProbeOutcome, LinearProtocol, run_linear_probe
from .logistic import LINEAR_PROBE_WDS, LogisticModel, fit_logistic, fit_logistic_converged, fit_logistic_paper
from .paper_c import paper_selected_c
from .variants import PAPER_VARIANT, deviations, variant_name

__all__ = [
    'ProbeInputError', 'checkpoint_identity', 'fewshot_results', 'linear_probe_result', 'result_filename',
    'write_results', 'ExtractionSpec', 'FeatureCache', 'FeatureSet', 'GAPFeatureExtractor', 'build_extractor',
    'cached_features', 'extract_features', 'Episodes', 'FewShotSkip', 'episode_accuracies',
    'loop_episode_accuracies', 'run_fewshot', 'sample_episodes', 'AUGMENTATIONS', 'LR_GRID', 'FINETUNE_WDS',
    'GridPoint', 'SweepOptions', 'finetune_sweep', 'C_MODES', 'LINEAR_PROTOCOLS', 'LinearProbeOutcome',
    'LinearProtocol', 'run_linear_probe', 'LINEAR_PROBE_WDS', 'LogisticModel', 'fit_logistic',
    'fit_logistic_converged', 'fit_logistic_paper', 'paper_selected_c', 'PAPER_LINEAR_PROTOCOL',
    'PAPER_FEWSHOT_PROTOCOL', 'PAPER_FINETUNE_PROTOCOL', 'PAPER_TOTAL_BATCH_SIZE', 'HEAD_INITS', 'PAPER_VARIANT',
    'deviations', 'variant_name',
]
