"""The HTTP benchmark's servers: the schema and settings of the auto API, and the hand-written baseline."""
