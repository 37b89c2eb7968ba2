"""Network enforcement without Django: snapshot format, decision engine, Squid helper, RPZ.

This package must never import Django: the Squid helper starts in milliseconds and the tests
run without a settings module.
"""
