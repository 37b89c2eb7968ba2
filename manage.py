#!/usr/bin/env python
"""Django's manage.py; the `safesocial` console script does the same."""

from safesocial.cli import main

if __name__ == "__main__":
    main()
