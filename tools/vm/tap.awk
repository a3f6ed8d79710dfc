# SPDX-License-Identifier: GPL-2.0
#
# Reads the test VM's TAP stream (see tools/vm/init), with the host's own
# test points appended.  Prints each top-level test point, the nested output
# of each failed one, and last "counts PASSED FAILED SKIPPED".
#
# What is counted is test cases: the kselftest harness prints one nested
# "ok N name", "ok N name # SKIP reason" or "not ok N name" for each, which
# the VM's /init indents with "# ".  A top-level point with no nested points
# (insmod, rmmod, a program that is not a harness test) counts as one case.
# A failed binary whose cases all passed (it crashed after them, or left its
# plan unfinished) counts as one more failure.  The host's own points ("ok -
# vm: ...") have no number.

BEGIN {
	passed = failed = skipped = 0
	reset()
}

function reset() {
	np = nf = ns = 0
	nested = ""
	took = ""
}

/^(not )?ok ([0-9]+|-)/ {
	notok = /^not ok/
	skip = / # [Ss][Kk][Ii][Pp]/
	if (np + nf + ns == 0) {
		if (notok)
			failed++
		else if (skip)
			skipped++
		else
			passed++
	} else {
		passed += np
		failed += nf
		skipped += ns
		if (notok && nf == 0)
			failed++
	}
	print $0 took
	if (notok)
		printf "%s", nested
	reset()
	next
}

# /init's time for the binary: shown after its test point
/^# mbx-vm: took [0-9]+ s$/ {
	took = "  [" $4 " s]"
	next
}

/^# ok [0-9]+/ {
	if (/ # [Ss][Kk][Ii][Pp]/)
		ns++
	else
		np++
}

/^# not ok [0-9]+/ {
	nf++
}

/^# / {
	nested = nested "    " $0 "\n"
}

END {
	print "counts", passed, failed, skipped
}
