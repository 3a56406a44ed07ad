"""The package version, in one place the lowest floors can import."""

__version__ = "0.1.0"
