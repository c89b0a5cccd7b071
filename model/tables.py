"""The reference's transition tables (sections 1.3 and 1.4) as data: per status variable, the
values each value may move to.  `source-transitions` and `destination-transitions` read them
from the model (`meta.TRANSITIONS`), so a version or a proposal that adds a state edits the
table with it (`SetMeta(TRANSITIONS, update=meta.allow(...))`)."""

from __future__ import annotations

from migcheck.model.vocab import MigrationStatus as MS

SOURCE = {
    MS.NONE: (MS.SETUP,),  # S1 migrate_init
    MS.SETUP: (MS.ACTIVE, MS.FAILED, MS.CANCELLING),  # S3, S2, S17
    MS.ACTIVE: (MS.POSTCOPY_ACTIVE, MS.FAILED, MS.CANCELLING, MS.COMPLETED),  # S4, S6/S12, S17
    MS.POSTCOPY_ACTIVE: (MS.POSTCOPY_PAUSED, MS.FAILED, MS.COMPLETED, MS.CANCELLING),  # S13 S7 S9
    MS.POSTCOPY_PAUSED: (MS.POSTCOPY_RECOVER, MS.CANCELLING),  # S14, S17
    MS.POSTCOPY_RECOVER: (MS.POSTCOPY_ACTIVE, MS.POSTCOPY_PAUSED, MS.CANCELLING),  # S15 S16
    MS.CANCELLING: (MS.CANCELLED, MS.FAILED),  # S18
}

DESTINATION = {
    MS.NONE: (MS.SETUP,),  # D1
    MS.SETUP: (MS.ACTIVE,),  # D2
    MS.ACTIVE: (MS.COMPLETED, MS.FAILED, MS.POSTCOPY_ACTIVE),  # D3 D4 D5
    MS.POSTCOPY_ACTIVE: (MS.COMPLETED, MS.FAILED, MS.POSTCOPY_PAUSED),  # D6 D7 D8
    MS.POSTCOPY_PAUSED: (MS.POSTCOPY_RECOVER,),  # D10
    MS.POSTCOPY_RECOVER: (MS.POSTCOPY_ACTIVE, MS.POSTCOPY_PAUSED),  # D11 D9
}

TRANSITIONS = {"src_state": SOURCE, "dst_state": DESTINATION}
