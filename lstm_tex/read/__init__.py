"""Read: example files (YAML) and saved models' weights into plain data."""
