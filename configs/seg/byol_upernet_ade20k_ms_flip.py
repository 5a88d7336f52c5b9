# Multi-scale (the five training scales) + flip test of byol_upernet_ade20k.py: evaluate its trained checkpoint
# with tools/test.py on this file. The same two lines turn any <method>_upernet_ade20k.py into its TTA variant.
_base_ = ['./byol_upernet_ade20k.py']
model = dict(_delete_=True, type='SegTTAModel', module={{_base_.model}})
test_dataloader = dict(dataset=dict(pipeline={{_base_.tta_pipeline}}))
