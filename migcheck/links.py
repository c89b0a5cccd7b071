"""Where a reader learns more about a property: the application's links for the generic views
(the SARIF writer's `helpUri`).

A property resting on a QEMU commit links to that commit; any other to QEMU's postcopy
documentation.
"""

from __future__ import annotations

import re

from migcheck.checker.report import PropertyResult

QEMU_COMMIT = "https://gitlab.com/qemu-project/qemu/-/commit/{sha}"
POSTCOPY_DOC = "https://www.qemu.org/docs/master/devel/migration/postcopy.html"
COMMIT_ID = re.compile(r"\b[0-9a-f]{10,40}\b")


def property_help(result: PropertyResult) -> str:
    found = COMMIT_ID.search(result.rests_on)
    return QEMU_COMMIT.format(sha=found.group(0)) if found else POSTCOPY_DOC
