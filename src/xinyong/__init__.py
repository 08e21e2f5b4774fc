"""xinyong: a platform for personal public credit information."""

__version__ = "0.1.0"
