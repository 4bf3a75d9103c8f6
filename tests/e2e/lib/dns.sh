# shellcheck shell=bash source-path=SCRIPTDIR
#
# dns.sh - private DNS servers on 127.0.0.1 for the end-to-end suite.
#
# Each server is an unbound (package "unbound") answering only from local
# data: authoritative answers (flag aa, also for queries with the RD bit, as
# sent by libunbound in forwarding mode), nothing resolved elsewhere, nothing
# sent to any other address (every upstream address is in
# do-not-query-address).  Source after common.sh (it sources it if needed):
#
#     . "$E2E_LIB_DIR/dns.sh"
#     dns_start DNS "$HERE/data/sender.zone"     # DNS=127.0.0.1@PORT
#     ... dns_servers = $DNS in the filter's configuration ...
#
# Functions
#   dns_start VAR ZONEFILE   start a server for ZONEFILE on a free UDP+TCP port
#                            of 127.0.0.1, wait until it answers, store
#                            "127.0.0.1@PORT" (the form of the filter's
#                            dns_servers key) in VAR.  Stopped at exit.
#                            Main shell only.  Returns 1 (after printing why)
#                            for a bad zone file or a server that does not
#                            start.  Takes about 0.1 s (80-140 ms measured,
#                            most of it the first dig).
#   dns_stop SERVER          stop that server now (idempotent; otherwise done
#                            at exit, also by the watchdog after a SIGKILL)
#   dns_query SERVER NAME TYPE
#                            one query (RD set, like the filter's resolver);
#                            prints the rcode (NOERROR, NXDOMAIN, SERVFAIL,
#                            REFUSED, ...) on the first line, then the answer
#                            section, one record a line, fields separated by
#                            one space:  "sender.test. 300 IN MX 10 mx.sender.test."
#                            Without an answer it prints TIMEOUT (UDP: nothing
#                            came back within DNS_QUERY_TIMEOUT), CLOSED (TCP:
#                            the server closed the connection) or
#                            "ERROR text", and returns 1.  Uses dig (package
#                            bind9-dnsutils), else a python3 client of its own
#                            (DNS_QUERY_TOOL=python forces it).  Refuses any
#                            server outside 127.0.0.0/8 and ::1.
#   dns_rcode SERVER NAME TYPE   just the first line of dns_query
#   dns_answer SERVER NAME TYPE  the data of the answer records of type TYPE,
#                            sorted, one a line ("10 mx.sender.test.");
#                            nothing for NXDOMAIN/NODATA; 1 if no reply
#   dns_queries SERVER       the queries the server received so far, one
#                            "NAME TYPE" a line ("sender.test. MX"), oldest
#                            first: to check what the filter looked up
#   dns_log SERVER           path of the server's log (config errors, queries)
#   dns_dir SERVER           its directory (unbound.conf, unbound.log)
#
# Zone file: one record a line in zone-file presentation format,
#
#     NAME [TTL] [CLASS] TYPE DATA
#
#     ; a comment line (also "#"); after a record, "; text" outside quotes
#     sender.test.            300 IN MX   10 mx.sender.test.
#     mx.sender.test.         300 IN A    192.0.2.25
#     mx.sender.test.             IN AAAA 2001:db8::25      ; TTL 300 if left out
#     sender.test.            300 IN TXT  "v=spf1 ip4:192.0.2.0/24 -all"
#     sel._domainkey.sender.test. 300 IN TXT "v=DKIM1; k=rsa; " "p=MIIB..."
#     nullmx.test.            300 IN MX   0 .
#     25.2.0.192.in-addr.arpa. 300 IN PTR mx.sender.test.
#     alias.test.             300 IN CNAME sender.test.
#
#     timeout.test.   TIMEOUT     ; this name and all below it: no reply at all
#     servfail.test.  SERVFAIL    ; ... answered SERVFAIL (at once)
#     refused.test.   REFUSED     ; ... answered REFUSED
#
#   - Names should be fully qualified; a missing final dot is added.  No
#     $ORIGIN/$TTL/@, no relative names, no multi-line ( ) records, no
#     wildcards.  Any TLD works (test., example., in-addr.arpa., ip6.arpa., ...);
#     unbound's built-in zones (test., invalid., localhost., the RFC 1918 and
#     documentation reverse zones, ...) are switched off.
#   - A name that is not listed is NXDOMAIN; a listed name asked for another
#     type is NOERROR without records (NODATA); a name that only has names
#     below it (_domainkey.sender.test. above sel._domainkey...) is NODATA.
#     Negative answers carry the SOA ". 60 IN SOA localhost. nobody.invalid.
#     1 3600 1200 604800 60" (DNS_NEGATIVE_TTL changes both 60s), so a
#     caching resolver keeps them that long.
#   - TXT: several quoted strings stay several strings; a quoted string longer
#     than 255 bytes (one line DKIM key) is cut into 255-byte strings, as a
#     signer publishing it would.  \" \\ and \DDD escapes work; a ' is fine.
#   - CNAME records are served as such; libunbound then asks for the target.
#   - Records listed below a TIMEOUT/SERVFAIL/REFUSED name are still answered.
#
# What the simulations do (unbound 1.17, measured):
#   TIMEOUT   local-zone type "deny": the query is dropped.  Over UDP nothing
#             ever comes back (dig +tries=1 +time=3: "timed out" after 3.0 s);
#             the server stays fine for other names.  Over TCP unbound closes
#             the connection at once (dns_query prints CLOSED).  A libunbound
#             forwarder gives up after ~13 s with SERVFAIL on its own, ~3 s for
#             the next such name (its retry timer backs off); queries for other
#             names keep working at once in between.  Cancelled after 2 s as
#             the filter does, 7 such names in a row all stayed unanswered
#             (no early SERVFAIL from libunbound's server-down logic).
#   SERVFAIL  the name is forwarded to an address unbound may not query, so
#             it answers SERVFAIL in ~1 ms, without sending anything.
#   REFUSED   local-zone type "refuse": rcode REFUSED at once.  libunbound
#             turns a REFUSED from its forwarder into SERVFAIL (rcode 2).
#
# libunbound (the filter's resolver) has the same built-in zones: without
# ub_ctx_set_option(ctx, "local-zone:", "test. transparent") it answers
# NXDOMAIN for every name under test. itself and never asks this server
# ("test. nodefault" did not help with 1.17); the same for PTR names in
# 2.0.192.in-addr.arpa. and the other built-in reverse zones.
#
# Environment
#   DNS_QUERY_TIMEOUT   seconds dns_query waits for a reply (whole, default 2)
#   DNS_QUERY_TCP=1     dns_query over TCP
#   DNS_QUERY_TOOL      dig or python (default: dig when installed)
#   DNS_NEGATIVE_TTL    TTL of negative answers (default 60)
#   DNS_LOG_QUERIES=0   do not log queries (dns_queries prints nothing)
#   DNS_UNBOUND         the unbound binary (default: unbound from PATH, else
#                       /usr/sbin/unbound)

if [[ -n "${DNS_LIB_LOADED:-}" ]]; then
    return 0
fi
DNS_LIB_LOADED=1

if [[ -z "${E2E_COMMON_LOADED:-}" ]]; then
    # shellcheck source=common.sh
    . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
fi

# SERVER ("127.0.0.1@PORT") -> pid / directory of the servers of this run.
declare -gA DNS__PID=()
declare -gA DNS__DIR=()

# ---------------------------------------------------------------------------
# Configuration

# The zone file as unbound.conf lines (server clause body, then forward-zone
# clauses).  Errors as "FILE:LINE: text" on stderr, status 1.
dns__zone_conf() {
    LC_ALL=C awk -v file="$1" -v negttl="${DNS_NEGATIVE_TTL:-60}" '
    function err(msg) {
        printf "%s:%d: %s\n", file, NR, msg > "/dev/stderr"
        bad = 1
    }
    # Next whitespace-separated token of rest (removed from it).
    function token(   t) {
        sub(/^[ \t]+/, "", rest)
        if (!match(rest, /^[^ \t]+/))
            return ""
        t = substr(rest, 1, RLENGTH)
        rest = substr(rest, RLENGTH + 1)
        return t
    }
    # Cuts quoted strings longer than 255 bytes into several strings.
    function split_txt(s,   out, i, n, c, tok, cur, len, closed) {
        out = ""
        n = length(s)
        i = 1
        while (i <= n) {
            c = substr(s, i, 1)
            if (c != "\"") {
                out = out c
                i++
                continue
            }
            i++
            cur = ""
            len = 0
            closed = 0
            while (i <= n) {
                c = substr(s, i, 1)
                if (c == "\"") {
                    closed = 1
                    i++
                    break
                }
                if (c == "\\" && substr(s, i + 1, 3) ~ /^[0-9][0-9][0-9]$/) {
                    tok = substr(s, i, 4)
                } else if (c == "\\") {
                    tok = substr(s, i, 2)
                } else {
                    tok = c
                }
                i += length(tok)
                if (len == 255) {
                    out = out "\"" cur "\" "
                    cur = ""
                    len = 0
                }
                cur = cur tok
                len++
            }
            if (!closed)
                err("unterminated quoted string")
            out = out "\"" cur "\""
        }
        return out
    }
    # line without a "; comment" that is outside quotes.
    function strip_comment(s,   i, n, c, inq) {
        n = length(s)
        inq = 0
        for (i = 1; i <= n; i++) {
            c = substr(s, i, 1)
            if (c == "\\")
                i++
            else if (c == "\"")
                inq = !inq
            else if (c == ";" && !inq)
                break
        }
        s = substr(s, 1, i - 1)
        sub(/[ \t]+$/, "", s)
        return s
    }
    function add_zone(name, type) {
        name = tolower(name)
        if (name in zones && zones[name] != type)
            err(name " is already " zones[name])
        zones[name] = type
        order[++nzones] = name
    }
    {
        sub(/\r$/, "")
        line = $0
        sub(/^[ \t]+/, "", line)
        sub(/[ \t]+$/, "", line)
        if (line == "" || line ~ /^[;#]/)
            next
        line = strip_comment(line)
        rest = line
        name = token()
        if (name !~ /\.$/)
            name = name "."
        t1 = token()
        u1 = toupper(t1)
        if (rest ~ /^[ \t]*$/ && (u1 == "TIMEOUT" || u1 == "SERVFAIL" || u1 == "REFUSED")) {
            add_zone(name, u1)
            next
        }
        ttl = 300
        class = "IN"
        if (t1 ~ /^[0-9]+$/) {
            ttl = t1
            t1 = token()
        }
        if (toupper(t1) ~ /^(IN|CH|HS|CS)$/) {
            class = toupper(t1)
            t1 = token()
        }
        type = toupper(t1)
        if (type !~ /^[A-Z][A-Z0-9]*$/) {
            err("expected NAME [TTL] [CLASS] TYPE DATA or NAME TIMEOUT|SERVFAIL|REFUSED, got: " line)
            next
        }
        sub(/^[ \t]+/, "", rest)
        if (rest == "") {
            err("no data for " name " " type)
            next
        }
        if (type == "TXT" || type == "SPF")
            rest = split_txt(rest)
        rec = name " " ttl " " class " " type " " rest
        gsub(/\047/, "\\039", rec)
        data[++ndata] = rec
    }
    END {
        if (bad)
            exit 1
        # Every name of the data is below ".", answered from it: "." static
        # gives NXDOMAIN/NODATA for everything not listed.
        print "    local-zone: \".\" static"
        printf "    local-data: \". %d IN SOA localhost. nobody.invalid. 1 3600 1200 604800 %d\"\n", negttl, negttl
        # unbound 1.17 built-in zones (unbound-control list_local_zones):
        # they would hide data below them.
        nd = split("localhost. test. invalid. onion. home.arpa. " \
            "127.in-addr.arpa. 0.in-addr.arpa. 10.in-addr.arpa. 168.192.in-addr.arpa. " \
            "254.169.in-addr.arpa. 255.255.255.255.in-addr.arpa. 2.0.192.in-addr.arpa. " \
            "100.51.198.in-addr.arpa. 113.0.203.in-addr.arpa. " \
            "d.f.ip6.arpa. 8.e.f.ip6.arpa. 9.e.f.ip6.arpa. a.e.f.ip6.arpa. b.e.f.ip6.arpa. " \
            "8.b.d.0.1.0.0.2.ip6.arpa.", defaults, " ")
        for (i = 16; i <= 31; i++)
            defaults[++nd] = i ".172.in-addr.arpa."
        for (i = 64; i <= 127; i++)
            defaults[++nd] = i ".100.in-addr.arpa."
        z = ""
        for (i = 0; i < 32; i++)
            z = z "0."
        defaults[++nd] = z "ip6.arpa."
        defaults[++nd] = "1." substr(z, 3) "ip6.arpa."
        for (i = 1; i <= nd; i++)
            if (!(tolower(defaults[i]) in zones))
                printf "    local-zone: \"%s\" nodefault\n", defaults[i]
        for (i = 1; i <= nzones; i++) {
            name = order[i]
            if (done[name]++)
                continue
            if (zones[name] == "TIMEOUT")
                printf "    local-zone: \"%s\" deny\n", name
            else if (zones[name] == "REFUSED")
                printf "    local-zone: \"%s\" refuse\n", name
            else
                printf "    local-zone: \"%s\" transparent\n", name
        }
        for (i = 1; i <= ndata; i++)
            printf "    local-data: \047%s\047\n", data[i]
        # SERVFAIL: forwarded to an address that do-not-query-address
        # forbids, so there is no server to ask.
        for (name in zones)
            if (zones[name] == "SERVFAIL")
                printf "forward-zone:\n    name: \"%s\"\n    forward-addr: 127.0.0.1@9\n", name
    }' "$1"
}

# dns__write_conf DIR PORT: DIR/unbound.conf from DIR/zone.conf.
dns__write_conf() {
    local dir=$1 port=$2 logq=yes
    [[ "${DNS_LOG_QUERIES:-1}" == 0 ]] && logq=no
    {
        cat <<EOF
server:
    interface: 127.0.0.1
    port: $port
    do-ip4: yes
    do-ip6: no
    do-udp: yes
    do-tcp: yes
    so-reuseport: no
    num-threads: 1
    username: ""
    chroot: ""
    directory: "$dir"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 1
    log-queries: $logq
    module-config: "iterator"
    access-control: 127.0.0.0/8 allow
    # Never ask anybody: every answer is local.
    do-not-query-localhost: yes
    do-not-query-address: 0.0.0.0/0
    do-not-query-address: ::/0
    # No outgoing port pool: shuffling the default one (64k ports) is most
    # of unbound's start time.
    outgoing-port-avoid: "0-65535"
    outgoing-port-permit: 65535
    outgoing-range: 8
    msg-cache-size: 1m
    rrset-cache-size: 1m
    statistics-interval: 0
EOF
        cat "$dir/zone.conf"
        printf 'remote-control:\n    control-enable: no\n'
    } >"$dir/unbound.conf"
}

dns__unbound() {
    if [[ -n "${DNS_UNBOUND:-}" ]]; then
        printf '%s\n' "$DNS_UNBOUND"
    elif command -v unbound >/dev/null 2>&1; then
        command -v unbound
    elif [[ -x /usr/sbin/unbound ]]; then
        printf '%s\n' /usr/sbin/unbound
    else
        return 1
    fi
}

# ---------------------------------------------------------------------------
# Start / stop

# dns__wait_ready PID SERVER SECS: 0 when it answers, 1 when the process died
# or SECS passed.
dns__wait_ready() {
    local pid=$1 server=$2 secs=$3 deadline port=${2##*@}
    deadline=$((SECONDS + secs))
    # The sockets are bound before the service starts: once TCP listens, a
    # UDP query waits in the socket until unbound reads it.
    while ! e2e_port_listening "$port"; do
        kill -0 "$pid" 2>/dev/null || return 1
        ((SECONDS >= deadline)) && return 1
        sleep 0.01
    done
    while true; do
        kill -0 "$pid" 2>/dev/null || return 1
        [[ "$(DNS_QUERY_TIMEOUT=1 dns_rcode "$server" . SOA)" == NOERROR ]] && return 0
        ((SECONDS >= deadline)) && return 1
        sleep 0.02
    done
}

dns_start() {
    local _dns_var=${1:-} _dns_zone=${2:-} _dns_dir _dns_port _dns_pid _dns_srv _dns_ub _dns_try
    if [[ -z "$_dns_var" || -z "$_dns_zone" ]]; then
        printf 'usage: dns_start VAR ZONEFILE\n' >&2
        return 1
    fi
    e2e__in_main_shell || e2e_die "dns_start must run in the main shell (use: dns_start VAR ZONEFILE)"
    if [[ ! -r "$_dns_zone" ]]; then
        printf 'dns_start: cannot read zone file %s\n' "$_dns_zone" >&2
        return 1
    fi
    _dns_ub=$(dns__unbound) || {
        printf 'dns_start: unbound is not installed (tests/deps.sh)\n' >&2
        return 1
    }
    e2e_tmpdir _dns_dir
    dns__zone_conf "$_dns_zone" >"$_dns_dir/zone.conf" || {
        printf 'dns_start: bad zone file %s\n' "$_dns_zone" >&2
        return 1
    }
    for _dns_try in 1 2 3; do
        # e2e_free_port checks TCP only; a UDP clash shows as a bind error.
        e2e_free_port _dns_port
        _dns_srv="127.0.0.1@$_dns_port"
        dns__write_conf "$_dns_dir" "$_dns_port"
        e2e_spawn _dns_pid "$_dns_dir/unbound.log" "$_dns_ub" -d -c "$_dns_dir/unbound.conf"
        if dns__wait_ready "$_dns_pid" "$_dns_srv" 10; then
            DNS__PID[$_dns_srv]=$_dns_pid
            DNS__DIR[$_dns_srv]=$_dns_dir
            printf -v "$_dns_var" '%s' "$_dns_srv"
            return 0
        fi
        e2e_kill_pid "$_dns_pid" 2
        grep -q 'Address already in use' "$_dns_dir/unbound.log" 2>/dev/null && continue
        break
    done
    printf 'dns_start: unbound did not start (try %s); its log:\n' "$_dns_try" >&2
    sed 's/^/    /' "$_dns_dir/unbound.log" >&2
    return 1
}

dns_stop() {
    local pid=${DNS__PID[${1:-}]:-}
    [[ -n "$pid" ]] || return 0
    e2e_kill_pid "$pid" 5
}

dns_dir() { printf '%s\n' "${DNS__DIR[${1:-}]:-}"; }

dns_log() {
    local dir=${DNS__DIR[${1:-}]:-}
    [[ -n "$dir" ]] || return 1
    printf '%s\n' "$dir/unbound.log"
}

# Lines "[time] unbound[pid:0] info: 127.0.0.1 NAME TYPE CLASS".
dns_queries() {
    local log
    log=$(dns_log "${1:-}") || return 1
    sed -n 's/^\[[0-9]*\] unbound\[[0-9:]*\] info: [0-9a-fA-F.:]* \([^ ]*\) \([A-Z0-9]*\) [A-Z0-9]*$/\1 \2/p' "$log"
}

# ---------------------------------------------------------------------------
# Queries

# The python3 client used without dig: same output as the dig path.
# Arguments: HOST PORT NAME TYPE TIMEOUT TCP(0|1)
# shellcheck disable=SC2016
DNS__PYCLIENT='
import random, socket, struct, sys, time
host, port, qname, qtype, timeout, tcp = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].upper(), float(sys.argv[5]), sys.argv[6] == "1"
TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28,
         "SRV": 33, "DNAME": 39, "OPT": 41, "SPF": 99, "ANY": 255, "CAA": 257}
NAMES = {v: k for k, v in TYPES.items()}
RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN",
          "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"]
if qtype in TYPES:
    t = TYPES[qtype]
elif qtype.startswith("TYPE") and qtype[4:].isdigit():
    t = int(qtype[4:])
else:
    print("ERROR unknown type " + qtype); sys.exit(1)
wire = b""
for label in qname.rstrip(".").split("."):
    if label:
        wire += bytes([len(label)]) + label.encode()
wire += b"\0"
qid = random.randrange(65536)
query = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 1) + wire + struct.pack(">HH", t, 1)
query += b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0)  # EDNS0, 1232 bytes
deadline = time.monotonic() + timeout
def left():
    return max(deadline - time.monotonic(), 0.001)
def ask_udp():
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((host, port))
    s.send(query)
    while True:
        s.settimeout(left())
        m = s.recv(65535)
        if len(m) >= 12 and struct.unpack(">H", m[:2])[0] == qid:
            return m
def recv_all(s, n):
    b = b""
    while len(b) < n:
        s.settimeout(left())
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b
def ask_tcp():
    s = socket.create_connection((host, port), timeout=left())
    s.sendall(struct.pack(">H", len(query)) + query)
    return recv_all(s, struct.unpack(">H", recv_all(s, 2))[0])
try:
    m = ask_tcp() if tcp else ask_udp()
    if not tcp and m[2] & 2:
        m = ask_tcp()
except socket.timeout:
    print("TIMEOUT"); sys.exit(1)
except EOFError:
    print("CLOSED"); sys.exit(1)
except OSError as e:
    print("ERROR " + str(e)); sys.exit(1)
def name(off):
    labels, jumped, end = [], False, None
    while True:
        n = m[off]
        if n >= 0xC0:
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | m[off + 1]
            continue
        off += 1
        if n == 0:
            break
        out = ""
        for c in m[off:off + n]:
            ch = chr(c)
            if ch in ".;\\()@$\"":
                out += "\\" + ch
            elif c <= 32 or c >= 127:
                out += "\\%03d" % c
            else:
                out += ch
        labels.append(out)
        off += n
    return ("".join(l + "." for l in labels) or "."), (end if end is not None else off)
def txt(d):
    out, i = [], 0
    while i < len(d):
        n = d[i]; s = ""
        for c in d[i + 1:i + 1 + n]:
            if c in (34, 92):
                s += "\\" + chr(c)
            elif c < 32 or c >= 127:
                s += "\\%03d" % c
            else:
                s += chr(c)
        out.append("\"" + s + "\"")
        i += 1 + n
    return " ".join(out)
def rdata(rtype, off, rdlen):
    d = m[off:off + rdlen]
    if rtype == 1:
        return socket.inet_ntop(socket.AF_INET, d)
    if rtype == 28:
        return socket.inet_ntop(socket.AF_INET6, d)
    if rtype in (2, 5, 12, 39):
        return name(off)[0]
    if rtype == 15:
        return "%d %s" % (struct.unpack(">H", d[:2])[0], name(off + 2)[0])
    if rtype in (16, 99):
        return txt(d)
    if rtype == 6:
        mname, o = name(off); rname, o = name(o)
        return "%s %s %d %d %d %d %d" % ((mname, rname) + struct.unpack(">IIIII", m[o:o + 20]))
    if rtype == 33:
        p, w, pt = struct.unpack(">HHH", d[:6])
        return "%d %d %d %s" % (p, w, pt, name(off + 6)[0])
    return "\\# %d %s" % (rdlen, d.hex().upper())
flags = struct.unpack(">H", m[2:4])[0]
qd, an = struct.unpack(">HH", m[4:8])
rcode = flags & 15
print(RCODES[rcode] if rcode < len(RCODES) else "RCODE%d" % rcode)
off = 12
for _ in range(qd):
    off = name(off)[1] + 4
for _ in range(an):
    owner, off = name(off)
    rtype, rclass, ttl, rdlen = struct.unpack(">HHIH", m[off:off + 10])
    off += 10
    print("%s %d %s %s %s" % (owner, ttl, "IN" if rclass == 1 else "CLASS%d" % rclass,
                              NAMES.get(rtype, "TYPE%d" % rtype), rdata(rtype, off, rdlen)))
    off += rdlen
'

dns__python() {
    if [[ -x /usr/bin/python3 ]]; then
        printf '%s\n' /usr/bin/python3
    else
        command -v python3
    fi
}

dns_query() {
    local server=${1:-} qname=${2:-} qtype=${3:-} host port tool out rc=0 status
    local timeout=${DNS_QUERY_TIMEOUT:-2} tcp=${DNS_QUERY_TCP:-0}
    local -a digopt
    if [[ -z "$server" || -z "$qname" || -z "$qtype" ]]; then
        printf 'usage: dns_query SERVER NAME TYPE\n' >&2
        return 2
    fi
    host=${server%@*}
    port=53
    [[ "$server" == *@* ]] && port=${server##*@}
    # Only ever loopback: this machine's resolv.conf names a real server.
    if ! [[ "$host" =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ || "$host" == ::1 ]]; then
        printf 'ERROR dns_query only talks to loopback servers, not %s\n' "$host"
        return 1
    fi
    [[ "$qname" == *. ]] || qname="$qname."
    tool=${DNS_QUERY_TOOL:-}
    if [[ -z "$tool" ]]; then
        tool=python
        command -v dig >/dev/null 2>&1 && tool=dig
    fi
    if [[ "$tool" == python ]]; then
        "$(dns__python)" -c "$DNS__PYCLIENT" "$host" "$port" "$qname" "$qtype" "$timeout" "$tcp"
        return
    fi
    digopt=(+tries=1 "+time=$timeout" +nosearch +noidnin +noidnout +noall +comments +answer)
    [[ "$tcp" == 1 ]] && digopt+=(+tcp)
    out=$(dig "${digopt[@]}" -p "$port" "@$host" "$qname" "$qtype" 2>&1) || rc=$?
    status=$(sed -n 's/^;; ->>HEADER<<- .* status: \([A-Z0-9]*\),.*/\1/p' <<<"$out" | head -n 1)
    if [[ -z "$status" ]]; then
        if [[ "$out" == *"timed out"* ]]; then
            echo TIMEOUT
        elif [[ "$out" == *"end of file"* || "$out" == *"connection reset"* ]]; then
            echo CLOSED
        else
            printf 'ERROR dig exit %s: %s\n' "$rc" "$(grep -v '^$' <<<"$out" | head -n 3 | tr '\n' ' ')"
        fi
        return 1
    fi
    printf '%s\n' "$status"
    grep -v -e '^;' -e '^$' <<<"$out" | sed 's/\t\+/ /g'
    return 0
}

dns_rcode() {
    local out rc=0
    out=$(dns_query "$@") || rc=$?
    printf '%s\n' "${out%%$'\n'*}"
    return "$rc"
}

dns_answer() {
    local out qtype=${3:-}
    out=$(dns_query "$@") || return 1
    # Lines after the rcode: NAME TTL CLASS TYPE DATA...
    sed 1d <<<"$out" | awk -v t="${qtype^^}" '$4 == t { sub(/^[^ ]+ [^ ]+ [^ ]+ [^ ]+ /, ""); print }' | LC_ALL=C sort
}
