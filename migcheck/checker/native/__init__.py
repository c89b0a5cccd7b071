"""The native explorer: the model's guards and effects generated as C over packed states,
built with the system C compiler and driven from Python through ctypes (see explorer.py)."""
