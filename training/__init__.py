"""skelapp.training."""
