"""VOC AP over IoU 0.50:0.95 (11-point) on hand-made boxes whose answers are known by hand."""
import numpy as np
import pytest
import torch

from mmssl_transfer.evaluation.functional import COCO_STYLE_IOU_THRS, voc_ap_over_ious

NO_BOXES = np.zeros((0, 4), dtype=np.float32)


def gt(boxes, labels, ignore_boxes=(), ignore_labels=()):
    return dict(bboxes=np.array(boxes, dtype=np.float32).reshape(-1, 4), labels=np.array(labels, dtype=np.int64),
                bboxes_ignore=np.array(ignore_boxes, dtype=np.float32).reshape(-1, 4),
                labels_ignore=np.array(ignore_labels, dtype=np.int64))


def dets(per_class, num_classes=2):
    """per_class: {class: [(x1, y1, x2, y2, score), ...]} -> eval_map's per-class arrays."""
    return [np.array(per_class.get(c, []), dtype=np.float32).reshape(-1, 5) for c in range(num_classes)]


def ap(det_results, annotations):
    return voc_ap_over_ious(det_results, annotations, nproc=1)


def test_thresholds_are_050_to_095_in_steps_of_005():
    assert COCO_STYLE_IOU_THRS == (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def test_perfect_detections_score_100_at_every_threshold():
    annotations = [gt([[0, 0, 99, 99], [10, 10, 39, 59]], [0, 1]), gt([[50, 20, 89, 79]], [1])]
    results = [dets({0: [(0, 0, 99, 99, 0.9)], 1: [(10, 10, 39, 59, 0.8)]}), dets({1: [(50, 20, 89, 79, 0.7)]})]
    metrics = ap(results, annotations)
    assert all(v == pytest.approx(100.0) for v in metrics.values())
    assert set(metrics) == {'AP', 'AP50', 'AP55', 'AP60', 'AP65', 'AP70', 'AP75', 'AP80', 'AP85', 'AP90', 'AP95'}


def test_shifted_box_counts_only_below_its_iou():
    # 100x100 box shifted by 20 px (VOC's +1 pixel convention): IoU = 80*100 / (2*100*100 - 80*100) = 2/3,
    # so it matches at 0.50, 0.55, 0.60, 0.65 (AP 100) and misses at 0.70 .. 0.95 (AP 0): AP = 4/10.
    metrics = ap([dets({0: [(20, 0, 119, 99, 0.9)]})], [gt([[0, 0, 99, 99]], [0])])
    assert metrics['AP50'] == pytest.approx(100.0)
    assert metrics['AP65'] == pytest.approx(100.0)
    assert metrics['AP70'] == pytest.approx(0.0)
    assert metrics['AP75'] == pytest.approx(0.0)
    assert metrics['AP'] == pytest.approx(40.0)


def test_missed_object_caps_recall_in_11_point_ap():
    # One of two objects found, precision 1 up to recall 0.5: the 11-point AP takes recall 0, 0.1, .., 0.5 -> 6/11.
    annotations = [gt([[0, 0, 49, 49]], [0]), gt([[10, 10, 59, 59]], [0])]
    results = [dets({0: [(0, 0, 49, 49, 0.9)]}), dets({})]
    metrics = ap(results, annotations)
    assert metrics['AP'] == pytest.approx(100 * 6 / 11)
    assert metrics['AP50'] == metrics['AP75'] == pytest.approx(100 * 6 / 11)


def test_false_positive_ranked_first_halves_precision():
    # A wrong box scored above the right one: precision 1/2 at recall 1 -> 11-point AP 50.
    metrics = ap([dets({0: [(200, 200, 249, 249, 0.9), (0, 0, 49, 49, 0.5)]})], [gt([[0, 0, 49, 49]], [0])])
    assert metrics['AP'] == pytest.approx(50.0)


def test_detection_on_difficult_box_is_neither_true_nor_false_positive():
    # Class 0: a normal object and a difficult one; the detection on the difficult box scores highest. Were it a
    # false positive, the AP would drop to 50; VOC ignores it, so AP stays 100.
    annotations = [gt([[0, 0, 49, 49]], [0], ignore_boxes=[[100, 100, 149, 149]], ignore_labels=[0])]
    results = [dets({0: [(100, 100, 149, 149, 0.95), (0, 0, 49, 49, 0.5)]})]
    assert ap(results, annotations)['AP'] == pytest.approx(100.0)


def test_class_with_only_difficult_boxes_is_left_out_of_the_mean():
    # Class 1 has only a difficult box (not even detected): it has no ground truth and must not pull the mean
    # to 50; class 0 is found perfectly.
    annotations = [gt([[0, 0, 49, 49]], [0], ignore_boxes=[[60, 60, 99, 99]], ignore_labels=[1])]
    results = [dets({0: [(0, 0, 49, 49, 0.9)]})]
    assert ap(results, annotations)['AP'] == pytest.approx(100.0)


def test_difficult_only_dataset_has_ap_zero():
    annotations = [gt([], [], ignore_boxes=[[0, 0, 49, 49]], ignore_labels=[0])]
    metrics = ap([dets({0: [(0, 0, 49, 49, 0.9)]})], annotations)
    assert metrics['AP'] == 0.0


def _sample(gt_boxes, gt_labels, pred_boxes, pred_scores, pred_labels, ignore_boxes=(), ignore_labels=()):
    """One data sample as mmengine's Evaluator hands it to a metric (a dict of instance dicts)."""
    f = lambda x, shape: torch.tensor(x, dtype=torch.float32).reshape(shape)  # noqa: E731
    i = lambda x: torch.tensor(x, dtype=torch.int64).reshape(-1)  # noqa: E731
    return dict(gt_instances=dict(bboxes=f(gt_boxes, (-1, 4)), labels=i(gt_labels)),
                ignored_instances=dict(bboxes=f(ignore_boxes, (-1, 4)), labels=i(ignore_labels)),
                pred_instances=dict(bboxes=f(pred_boxes, (-1, 4)), scores=f(pred_scores, (-1,)),
                                    labels=i(pred_labels)))


def test_registered_metric_reports_ap_ap50_ap75_with_prefix():
    from mmdet.registry import METRICS
    metric = METRICS.build(dict(type='VOCMultiIoUMetric', nproc=1))
    metric.dataset_meta = dict(classes=('car', 'dog'))
    metric.process({}, [_sample([[0, 0, 99, 99]], [0], [[20, 0, 119, 99]], [0.9], [0])])
    metric.process({}, [_sample([[0, 0, 99, 99]], [1], [[0, 0, 99, 99]], [0.8], [1])])
    metrics = metric.evaluate(size=2)
    # class 0: the 2/3-IoU box of test_shifted_box (AP 40, AP50 100, AP75 0); class 1 perfect.
    assert metrics == pytest.approx({'pascal_voc/AP': 70.0, 'pascal_voc/AP50': 100.0, 'pascal_voc/AP75': 50.0})


def test_metric_rejects_thresholds_without_050_and_075():
    from mmssl_transfer.evaluation.metrics import VOCMultiIoUMetric
    with pytest.raises(ValueError, match='0.75'):
        VOCMultiIoUMetric(iou_thrs=[0.5, 0.6])
