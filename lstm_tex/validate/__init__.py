"""Validate: plain data and command-line flags into one frozen Example."""
