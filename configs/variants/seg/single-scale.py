# Variant of the ADE20K protocol: test at one scale (short side 450, long side <= 1000; the middle training scale)
# instead of the paper's softmax average over its 5 training scales (semantic-segmentation/eval_multipro.py).
# A test-time variant: name it when testing a model trained with the paper's protocol.
test_time_aug = False
transfer_task = dict(variant='single-scale')
