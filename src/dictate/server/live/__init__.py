"""The live pipeline of one WebSocket session: a sans-I/O core (``core.py``) and its thin shells."""
