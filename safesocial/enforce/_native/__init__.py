"""Compiled (mypyc) copies of engine.py and squid_helper.py, if built; see build_native.py."""
