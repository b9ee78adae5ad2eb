"""skelapp.devices."""
