#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The web page in a real browser: Debian's headless Chromium loads
# sla-appserver's page from BASE (the VM's forwarded port, say), runs its
# JavaScript, and the DOM it leaves (--dump-dom) is checked against the
# server's JSON:
#   - the latency chart of HOST is drawn from data: its path has one point
#     per measured window, each point's height is the value on the chart's
#     scale, and the values are those /api/v1/series gives for the same
#     windows (a window that is over reads the same in every answer);
#   - the page polled more than once (it is live);
#   - an SLA created through the REST API with curl shows on the page: its
#     host card, its row in the SLA table, and its decision (sla-core's
#     decisions, read from sla-dbm) in the decision table;
#   - the mailbox table shows the three mailboxes.
# A screenshot is kept in BUILD_DIR/appserver-page.png, the DOM checked in
# BUILD_DIR/appserver-page.html.  Chromium's
# traffic stays on 127.0.0.1: a proxy that does not exist
# (127.0.0.1:9), every other name resolved to nothing, no background
# networking.  Prints "ok - ..." / "not ok - ..." lines.
#
#   browser_test.sh BASE BUILD_DIR HOST [NEW_HOST]
#
#   BASE      http://127.0.0.1:PORT
#   HOST      a host whose chart must be drawn (it has a series)
#   NEW_HOST  the SLA to create (default sla/browser-test); removed after
#   SLA_BROWSER_DECISION  the action of the decision the new SLA must have
#             on the page (default: any decision for that host)
#   SLA_BROWSER_CAP  N: the new SLA is a best-effort cap of N IOPS with
#             priority 5 (for a host that does I/O, so that sla-core
#             decides on it; above a batch host of priority 1, which gives
#             way first), not a latency ceiling of 7777 us
#   SLA_BROWSER_WAIT  wait up to this many seconds first for the server to
#             answer and HOST to have 5 measured windows (default 0: it
#             must be so already); for a test started beside a scenario
set -uo pipefail

base=$1 build=$2 host=$3 new=${4:-sla/browser-test}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

chromium=$(command -v chromium || true)
if [[ -z $chromium ]]; then
	"$here/../deps.sh" browser >&2 || true
	chromium=$(command -v chromium || true)
fi
if [[ -z $chromium ]]; then
	not_ok "chromium is installed (sla/deps.sh browser)"
	exit 1
fi

browse() { # browse OUTPUT_ARGS...: Chromium on $base/, kept on 127.0.0.1
	timeout -k 5 120 "$chromium" --headless --no-sandbox --disable-gpu \
		--proxy-server=http://127.0.0.1:9 \
		--host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" \
		--disable-background-networking --disable-extensions \
		--no-first-run --no-default-browser-check \
		--disable-component-update --disable-sync \
		--user-data-dir="$tmp/profile" --window-size=1280,1800 \
		--virtual-time-budget=6000 "$@" "$base/" 2>>"$tmp/chromium.log"
}

measured() { # measured: HOST's measured windows, as /api/v1/series says
	local n
	n=$(curl -s --noproxy '*' --max-time 5 "$base/api/v1/series?host=$host" 2>/dev/null |
		jq '[.lat_mean_us[] | select(. != null)] | length' 2>/dev/null)
	[[ $n =~ ^[0-9]+$ ]] && echo "$n" || echo 0
}
wait_s=${SLA_BROWSER_WAIT:-0}
if ((wait_s > 0)); then
	end=$((SECONDS + wait_s))
	while (($(measured) < 5 && SECONDS < end)); do
		sleep 1
	done
	n=$(measured)
	if ((n >= 5)); then
		ok "browser: $host has $n measured windows (waited $((SECONDS - end + wait_s)) s)"
	else
		not_ok "browser: $host has 5 measured windows within $wait_s s (it has $n)"
	fi
fi

# The new SLA, through the REST API.
cap=${SLA_BROWSER_CAP:-}
if [[ -n $cap ]]; then
	body="{\"host\":\"$new\",\"cap_iops\":$cap,\"priority\":5}"
else
	body="{\"host\":\"$new\",\"lat_ceiling_us\":7777,\"priority\":3}"
fi
status=$(curl -s --noproxy '*' --max-time 20 -o "$tmp/created" -w '%{http_code}' \
	-X POST -H 'Content-Type: application/json' \
	--data-binary "$body" \
	"$base/api/v1/slas")
if [[ $status == 201 ]]; then
	ok "browser: an SLA for $new created with curl"
else
	not_ok "browser: an SLA for $new created with curl (status $status: $(cat "$tmp/created"))"
fi
# its decision reaches the page through sla-dbm at the next refresh; with
# SLA_BROWSER_DECISION, wait for sla-core to make it (up to 40 s)
if [[ -n ${SLA_BROWSER_DECISION:-} ]]; then
	t0=$SECONDS
	while ((SECONDS - t0 < 40)); do
		curl -s --noproxy '*' --max-time 5 "$base/api/v1/state" 2>/dev/null |
			jq -e --arg h "$new" --arg a "$SLA_BROWSER_DECISION" \
				'[.decisions[] | select(.host == $h and .action == $a)] | length > 0' \
				>/dev/null 2>&1 && break
		sleep 1
	done
	echo "# browser: waited $((SECONDS - t0)) s for the $SLA_BROWSER_DECISION decision of $new"
fi
sleep 3

start=$EPOCHREALTIME
if browse --dump-dom >"$tmp/dom.html" && [[ -s $tmp/dom.html ]]; then
	ok "browser: Chromium loaded $base/ and ran its script ($(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s)"
else
	not_ok "browser: Chromium loaded $base/"
	sed 's/^/# /' "$tmp/chromium.log" | tail -20
	exit 1
fi
cp "$tmp/dom.html" "$build/appserver-page.html"
curl -s --noproxy '*' --max-time 10 -o "$tmp/series.json" \
	"$base/api/v1/series?host=$host"
curl -s --noproxy '*' --max-time 10 -o "$tmp/state.json" "$base/api/v1/state"

python3 - "$tmp/dom.html" "$tmp/series.json" "$tmp/state.json" "$host" "$new" \
	"${SLA_BROWSER_DECISION:-}" "$cap" <<'PY'
import json, re, sys
from html.parser import HTMLParser

dom_file, series_file, state_file, host, new, action, cap = sys.argv[1:8]
dom = open(dom_file, encoding="utf-8").read()
series = json.load(open(series_file))
state = json.load(open(state_file))

fails = 0
def ok(cond, what):
    global fails
    print(("ok - " if cond else "not ok - ") + "browser: " + what)
    fails += not cond
    return cond

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.svgs, self.paths, self.cards = [], [], [], []
        self.body = {}
        self.tables, self.cur_table, self.cur_row, self.cell = {}, None, None, None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        elif tag == "svg" and "chart" in a.get("class", ""):
            self.svgs.append(a)
        elif tag == "path" and self.svgs:
            self.paths.append((self.svgs[-1], a))
        elif tag == "div" and a.get("class") == "host":
            self.cards.append(a.get("data-host"))
        elif tag == "table":
            self.cur_table = a.get("id")
            self.tables[self.cur_table] = []
        elif tag == "tr" and self.cur_table:
            self.cur_row = []
            self.tables[self.cur_table].append(self.cur_row)
        elif tag in ("td", "th") and self.cur_row is not None:
            self.cell = []
    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.cur_row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "table":
            self.cur_table = None
    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)

p = P()
p.feed(dom)

ok(int(p.body.get("data-polls", "0")) >= 2,
   "the page polled /api/v1/state %s times (live)" % p.body.get("data-polls"))

lat = [a for s, a in p.paths
       if s.get("data-host") == host and a.get("data-metric") == "lat_mean_us"]
if ok(len(lat) == 1, "one latency path for %s in the DOM" % host):
    path = lat[0]
    svg = [s for s, a in p.paths if a is path][0]
    vals = [float(v) for v in path["data-values"].split(",") if v]
    ends = [int(e) for e in path["data-ends"].split(",") if e]
    pts = [tuple(map(float, m)) for m in
           re.findall(r"[ML](-?[\d.]+),(-?[\d.]+)", path["d"])]
    ok(len(vals) >= 5 and len(pts) == len(vals) == len(ends),
       "the path has a point per measured window (%d points, %d values)" % (len(pts), len(vals)))
    ymax, top, ph = float(svg["data-ymax"]), float(svg["data-top"]), float(svg["data-plot-h"])
    off = [abs(y - (top + ph * (1 - v / ymax))) for (x, y), v in zip(pts, vals)]
    ok(off and max(off) <= 0.051,
       "each point's height is its value on the chart's scale (largest error %.3f px)" % (max(off) if off else -1))
    xs = [x for x, y in pts]
    ok(xs == sorted(xs) and len(set(xs)) == len(xs), "the points go left to right in time")
    js = dict(zip(series.get("end_ns", []), series.get("lat_mean_us", [])))
    both = [(e, v) for e, v in zip(ends, vals) if js.get(e) is not None]
    same = [e for e, v in both if abs(js[e] - v) <= 1e-9 * max(1.0, abs(v))]
    ok(len(both) >= 5 and len(same) == len(both),
       "the drawn values are /api/v1/series's for the same windows (%d of %d in common agree)" % (len(same), len(both)))
    ok(max(vals) > min(vals), "the line is not flat (%.0f..%.0f us)" % (min(vals), max(vals)))

ok(new in p.cards, "the new SLA's host %s has its card on the page" % new)
slas = p.tables.get("slas", [])
row = [r for r in slas if r and r[0] == new]
if cap:
    ok(len(row) == 1 and cap in row[0][1:],
       "the SLA table shows %s with its cap of %s IOPS (%s)" % (new, cap, " | ".join(row[0]) if row else "no row"))
else:
    ok(len(row) == 1 and row[0][1] in ("7777", "7.8k"),
       "the SLA table shows %s with its ceiling (%s)" % (new, row[0][1] if row else "no row"))
dec = p.tables.get("decisions", [])
mine = [r for r in dec if len(r) > 3 and r[1] == new and (not action or r[3] == action)]
ok(len(mine) >= 1, "the decision table shows a decision for %s%s (%s)" %
   (new, " (" + action + ")" if action else "", mine[0][3] + ": " + mine[0][6] if mine else "none"))
sdec = [d for d in state.get("decisions", []) if d["host"] == new]
ok(len(sdec) >= 1, "sla-core's decisions (from sla-dbm) hold it too: %d" % len(sdec))
boxes = [r[0] for r in p.tables.get("mailboxes", [])[1:]]
ok(sorted(boxes) == ["sla-app", "sla-db", "sla-mon"], "the mailbox table shows the three mailboxes")
sys.exit(1 if fails else 0)
PY
(($? == 0)) || failed=$((failed + 1))

shot=$build/appserver-page.png
rm -f "$shot"
if (cd "$tmp" && browse --screenshot="$shot" >/dev/null) && [[ -s $shot ]]; then
	ok "browser: a screenshot of the page in $shot ($(stat -c %s "$shot") bytes)"
else
	not_ok "browser: a screenshot of the page in $shot"
	sed 's/^/# /' "$tmp/chromium.log" | tail -20
fi

curl -s --noproxy '*' --max-time 20 -o /dev/null -X DELETE "$base/api/v1/slas/$new"
exit $((failed != 0))
