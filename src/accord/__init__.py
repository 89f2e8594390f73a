"""Accord: software for regional security cooperation."""

__version__ = "0.1.0"
