# Variant of the NYUv2-normals protocol: test on the 480x640 images as they are instead of the paper's resize to
# short side 450 (eval_generic.py --imgSize default [450], sides rounded up to a multiple of 8) and back.
# A test-time variant: name it when testing a model trained with the paper's protocol.
test_pipeline = [step for step in _base_.test_dataloader.dataset.pipeline
                 if step['type'] != 'ShortSideResizeToMultiple']
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
transfer_task = dict(variant='native-resolution-test')
