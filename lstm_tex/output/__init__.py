"""Output: the files written (atomically): values.json, the web page, the folder."""
