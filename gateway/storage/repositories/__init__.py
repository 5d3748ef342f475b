"""Repositories: reads and writes of one area each, on the session they are given."""
