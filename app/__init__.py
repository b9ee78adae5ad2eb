"""skelapp.app."""
