// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox-bench: the mechanisms, looked up by name (--mech), in the order
 * of the output. A new mechanism is a file of its own that defines a
 * struct mech, and a line here.
 */
#include "bench.h"

extern const struct mech mech_pipe;
extern const struct mech mech_eventfd;
extern const struct mech mech_futex;
extern const struct mech mech_seqpacket;
extern const struct mech mech_mq;
extern const struct mech mech_sysv;
extern const struct mech mech_mailbox;
extern const struct mech mech_mailbox_batch;
extern const struct mech mech_mailbox_uring;

const struct mech *const bench_mechs[] = {
	&mech_pipe,
	&mech_eventfd,
	&mech_futex,
	&mech_seqpacket,
	&mech_mq,
	&mech_sysv,
	&mech_mailbox,
	&mech_mailbox_batch,
	&mech_mailbox_uring,
};

const int bench_nmechs = sizeof(bench_mechs) / sizeof(bench_mechs[0]);

/*
 * The mechanisms whose submit only queues the call until the next
 * collect: the solo case (submit, take, collect in one process) would
 * take before anything was sent and wait for ever. They skip it.
 */
const char *const bench_lazy_submit[] = {
	"mailbox-batch",
	"mailbox-uring",
	NULL,
};
