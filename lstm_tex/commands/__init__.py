"""The work of the commands besides render: init, import and --watch."""
