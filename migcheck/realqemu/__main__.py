import sys

from .record import record_main

sys.exit(record_main())
