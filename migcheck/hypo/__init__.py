"""Hypothesis stateful testing: the model's actions drive the model and the reference core."""
