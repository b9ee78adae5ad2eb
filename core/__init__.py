"""skelapp.core."""
