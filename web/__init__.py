"""The instruction workspace: a web application over the output folders and the history (esmsnum web)."""
