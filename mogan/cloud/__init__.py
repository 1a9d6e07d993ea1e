"""Clients of the OpenStack services Mogan works with inside a cloud (Glance; Neutron next):
each reads its peer the way every OpenStack service does, through keystoneauth, and turns
the peer's faults into Mogan's errors in one place."""
