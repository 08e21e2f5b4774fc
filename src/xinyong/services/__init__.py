"""Use cases: one function per user intention, over the ports in `ports.py`."""
