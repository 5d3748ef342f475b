"""Simulators for the demo and the tests: an ERP that writes exports, an agency that answers."""
