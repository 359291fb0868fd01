"""Compute: the cell descriptions, the forward pass and the backward pass (NumPy)."""
