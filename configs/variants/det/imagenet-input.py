# Variant of the detection protocol: every backbone gets ImageNet-normalised input. The paper's detectron2
# configs fed each method the input it was trained on (detectron2-configs/*/simclr-v1.yaml and simclr-v2.yaml:
# PIXEL_MEAN [0, 0, 0], PIXEL_STD [255, 255, 255], i.e. [0, 1] input; ImageNet mean/std for the others), which
# is the default. Differs from the paper only for SimCLR-v1/v2.
model = dict(data_preprocessor=dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]))
transfer_task = dict(variant='imagenet-input')
