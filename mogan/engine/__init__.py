"""The engine: claims operations from the database and carries them out through drivers.

``worker.Engine`` runs the claim loop, the lease heartbeat and the periodic jobs;
``operations`` holds one handler per kind of operation, each a small step machine whose steps
are idempotent so a takeover can repeat the step it finds recorded.
"""
