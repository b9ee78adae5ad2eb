"""Bundled default model, label maps and action descriptions (data only)."""
