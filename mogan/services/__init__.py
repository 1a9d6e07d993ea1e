"""Use cases. Each public method owns its transaction and checks policy first.

Services return ORM rows detached from their session (or plain values); the API formats them.
"""
