"""The workspace's routes, one module per page family."""
