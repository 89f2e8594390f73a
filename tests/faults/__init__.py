"""Network faults for tests: a TCP proxy on loopback that drops, refuses, delays, cuts and corrupts.

This machine has no iptables or netem, so tests put :class:`tests.faults.proxy.FaultyProxy`
between a client and a real server and change its mode while traffic flows.
"""
