# Variant of the dense protocols (the same file in variants/seg and variants/normals): each backbone gets the
# input normalisation it was trained with (the backbone file's ssl_preprocessor: [0, 1] input for SimCLR-v1/v2,
# ImageNet mean/std for the others). The paper's ADE20K and NYUv2-normals code normalised every image with
# ImageNet mean/std, SimCLR included, which is the default. Differs from the paper only for SimCLR.
model = dict(data_preprocessor=_base_.ssl_preprocessor)
transfer_task = dict(variant='method-input')
