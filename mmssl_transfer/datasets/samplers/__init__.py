"""Data samplers (mmengine's DATA_SAMPLERS) and the transform that seeds augmentation by the sampler's draw."""
from .numbered_draws import NumberedDraw, NumberedDrawSampler, SeedByDraw, draw_seed

__all__ = ['NumberedDraw', 'NumberedDrawSampler', 'SeedByDraw', 'draw_seed']
