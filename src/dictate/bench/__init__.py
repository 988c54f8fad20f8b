"""`dictate bench`: latency and accuracy measurement of a dictate service."""
