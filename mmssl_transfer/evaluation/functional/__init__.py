"""The maths of the transfer metrics, on arrays and tensors, free of any registry or Runner.

classification: top-1, mean per-class accuracy, VOC07 11-point mAP; calibration: ECE and temperature scaling;
confidence_interval: few-shot mean accuracy and its 95% half-width; voc_ap_over_ious: VOC detection AP over IoU
thresholds; angular_error: surface-normal angular errors and their constant-memory accumulator.
"""
from .angular_error import ANGLE_THRESHOLDS, HISTOGRAM_BIN_DEG, AngularErrorAccumulator, angular_errors
from .calibration import calibration_report, expected_calibration_error, fit_temperature
from .classification import (CLS_METRIC_FUNCTIONS, mean_per_class_accuracy, score_predictions, top1_accuracy,
                             voc11_average_precision, voc11_map)
from .confidence_interval import Z95, mean_confidence_interval
from .voc_ap_over_ious import COCO_STYLE_IOU_THRS, voc_ap_over_ious

__all__ = [
    'ANGLE_THRESHOLDS', 'HISTOGRAM_BIN_DEG', 'AngularErrorAccumulator', 'angular_errors', 'calibration_report',
    'expected_calibration_error', 'fit_temperature', 'CLS_METRIC_FUNCTIONS', 'mean_per_class_accuracy',
    'score_predictions', 'top1_accuracy', 'voc11_average_precision', 'voc11_map', 'Z95', 'mean_confidence_interval',
    'COCO_STYLE_IOU_THRS', 'voc_ap_over_ious',
]
