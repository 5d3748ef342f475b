"""Tests against a real Tryton 8.2 server on loopback."""
