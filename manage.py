#!/usr/bin/env python
"""Django's manage.py, kept for habit; ``crossdock`` is the same command."""

from crossdock.cli import main

if __name__ == "__main__":
    main()
