"""The paper's feature-property analyses (Sec. 4.8-4.9, App. A.8-A.9, Table 9).

What the frozen features retain (deep-image-prior feature inversion, scored by LPIPS and per-channel colour error)
and where they attend (task-agnostic occlusion saliency, attentive diffusion). One module per job:
:mod:`.saliency`, :mod:`.dip`, :mod:`.perceptual`, and :mod:`.experiment` (one checkpoint -> one result record).
"""
