#!/usr/bin/env python
"""Development entry point; `carefront` is the same thing as a console script."""

from carefront.cli import main

if __name__ == "__main__":
    main()
