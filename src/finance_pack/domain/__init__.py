"""The pure domain: no I/O, no clock reads. Time and data come in as arguments."""
