"""`python -m core.cli`: the same command as `throughcare`."""

import sys

from core.cli import main

sys.exit(main())
