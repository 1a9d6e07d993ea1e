"""The HTTP edge: parse and validate, build the caller's context, call one service, format.

It never talks to a BMC, Ironic or the engine, so its latency is bounded by the database.
"""
