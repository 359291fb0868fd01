"""Check: the NumPy forward and backward passes against torch, one Report type."""
