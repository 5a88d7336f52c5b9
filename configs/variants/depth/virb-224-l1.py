# Variant of the NYUv2-depth protocol after ViRB (Kotar et al. 2021, allenai/ViRB NyuDepthEncodbleDataset and
# PixelWisePredictionHead): every image resized to 224x224 (aspect ratio not kept) in training and testing,
# ColorJitter(0.4, 0.4, 0.4, 0.2) and RandomGrayscale(0.2) in training, and the L1 loss at full resolution.
# Differences kept: our PSPNet head instead of ViRB's U-Net-style head, L1 over the pixels with depth only (ViRB's
# L1Loss also counts missing depth as 0 m), the 795/654 labelled split (ViRB's nyu.zip is its own), and the test
# metrics of mmseg's DepthMetric on predictions resized back to 480x640 (ViRB reports the 224x224 L1 error).
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1e-3),
    dict(type='DepthResize', scale=(224, 224), keep_ratio=False, backend='pillow'),
    # torchvision's own ColorJitter / RandomGrayscale on the RGB image, as ViRB (through mmpretrain's wrappers)
    dict(type='mmpretrain.NumpyToPIL', to_rgb=True),
    dict(type='mmpretrain.torchvision/ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.2),
    dict(type='mmpretrain.torchvision/RandomGrayscale', p=0.2),
    dict(type='mmpretrain.PILToNumpy', to_bgr=True),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='DepthResize', scale=(224, 224), keep_ratio=False, backend='cv2'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1e-3),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
model = dict(decode_head=dict(label_downsample=1, loss_decode=dict(_delete_=True, type='DepthL1Loss')))
transfer_task = dict(variant='virb-224-l1')
