"""Does it matter that the return-path thread kicks rp_sem in the same step as it moves the
source to postcopy-active?  Split migrate_handle_rp_resume_ack in two and see.

In QEMU the RESUME_ACK handler sets the state and then calls migration_rp_kick; the model
writes both as one atomic step.  This proposal cuts the step at a new program point of the
return-path thread, RESUME_ACK_KICK: a failure can now strike between the two halves.
`migcheck diff qemu-8.2 examples/proposals/nonatomic_resume_ack.py` shows the states only the
split reaches; `migcheck check` whether any property cares.
"""

from migcheck.design import Split, Version

SPLIT = Version(
    "qemu-8.2+nonatomic-resume-ack", "qemu-8.2",
    "8.2 with the RESUME_ACK handler's state change and rp_sem kick as two steps",
    lambda config: [Split("source_return_path_thread: RESUME_ACK", "RESUME_ACK_KICK",
                          first=("d2m", "src_state", "recovered"),
                          why="migrate_handle_rp_resume_ack, then migration_rp_kick")])
