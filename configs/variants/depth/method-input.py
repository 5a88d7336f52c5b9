# Variant of the dense protocols (the same file in variants/seg, variants/normals and variants/depth): each
# backbone gets the input normalisation it was trained with (the backbone file's ssl_preprocessor: [0, 1] input
# for SimCLR-v1/v2, ImageNet mean/std for the others). The depth task, like the paper's ADE20K and NYUv2-normals
# code, normalises every image with ImageNet mean/std by default, SimCLR included.
model = dict(data_preprocessor=_base_.ssl_preprocessor)
transfer_task = dict(variant='method-input')
