"""The compiled Squid scanner (squidscan.c), if built; see build_native.py and native.py."""
