"""The HTTP and WebSocket edge: the app and its routes, one WebSocket session, and the process around them
(run, logs, metrics, limits, the header deadline, stray output)."""
