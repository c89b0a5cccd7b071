"""`python -m migcheck`: the same command line as `migcheck`."""

import sys

from migcheck.cli import main

sys.exit(main())
