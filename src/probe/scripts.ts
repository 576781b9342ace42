/**
 * The shell the probe pods run (busybox ash plus curl, dig, tcpdump and iputils ping from the
 * toolbox image). Busybox ash runs its own applets before anything on PATH (SH_STANDALONE), so
 * a real ping is only reached by its absolute path: the client looks for one that sets DF. TLS
 * probes trust the image's CA bundle, or only the PEM in $TLS_CA when one is given.
 * Clients read their probes from $PLAN, one `<index> <kind> <args...>` line each, and print one
 * JSON line per probe; capture pods print a cumulative per-peer VXLAN packet count every second.
 * Nothing is sent to the pods through exec: arguments go in through the environment, results
 * come back through the pod log.
 */
import { VXLAN_PORTS } from '../cni/vxlan.ts';

/** Reason recorded when the image's ping cannot set don't-fragment (busybox ping has no -M). */
export const NO_DF_PING = "the probe image's ping cannot set don't-fragment (needs iputils ping: ping -M do)";

export const CLIENT_SCRIPT = String.raw`
DF=0
[ -z "$PAR" ] && PAR=8
PING=ping
for p in /bin/ping /usr/bin/ping /sbin/ping /usr/sbin/ping; do
  if [ -x "$p" ] && "$p" -M do -c 1 -W 1 127.0.0.1 >/dev/null 2>&1; then PING="$p"; DF=1; break; fi
done
MTU=$(cat /sys/class/net/eth0/mtu 2>/dev/null || echo 0)
clean() { tr -d '"\\' | tr '\n\r\t' '   ' | cut -c1-300; }
emit() {
  d=$(printf '%s' "$5" | clean)
  t=$(printf '%s' "$8" | tr -d '"\\' | tr '\n\r\t' '   ' | cut -c1-700)
  a=$(printf '%s' "$9" | clean)
  line="{\"i\":$1,\"s\":\"$2\",\"e\":\"$3\",\"ms\":\"$4\",\"d\":\"$d\",\"z\":\"$6\",\"p\":\"$7\",\"t\":\"$t\",\"a\":\"$a\"}"
  echo "$line"
}
[ -n "$TLS_CA" ] && printf '%s\n' "$TLS_CA" >/tmp/tls-ca.pem
received() { echo "$1" | sed -n 's/.* \([0-9][0-9]*\) \(packets \)\{0,1\}received.*/\1/p' | head -n 1; }
avgrtt() { echo "$1" | sed -n 's/.*min\/avg\/max[^=]*= [0-9.]*\/\([0-9.]*\)\/.*/\1/p' | head -n 1; }
transmitted() { echo "$1" | sed -n 's/^\([0-9][0-9]*\) packets transmitted.*/\1/p' | head -n 1; }
rtts() { echo "$1" | sed -n 's/.*min\/avg\/max[^=]*= \([0-9.]*\)\/\([0-9.]*\)\/\([0-9.]*\).*/\1 \2 \3/p' | head -n 1; }
p_icmp() {
  # Five echoes 0.2 s apart where iputils ping is there (busybox ping cannot go below 1 s): enough
  # for a per-pair minimum and loss without making the round slower than the other probes.
  if [ "$DF" -eq 1 ]; then out=$("$PING" -c 5 -i 0.2 -W 2 -w 4 "$2" 2>&1); else out=$(ping -c 3 -W 2 -w 4 "$2" 2>&1); fi
  rx=$(received "$out")
  tx=$(transmitted "$out")
  [ -z "$tx" ] && tx=0
  st="$tx $(printf '%s' "$rx" | sed 's/^$/0/') $(rtts "$out")"
  if [ -n "$rx" ] && [ "$rx" -gt 0 ]; then emit "$1" pass "" "$(avgrtt "$out")" "$tx transmitted, $rx received" "" "$st"
  else
    case "$out" in *nreachable*) e=unreachable ;; *) e=timeout ;; esac
    emit "$1" fail "$e" "" "$(echo "$out" | tail -n 3)" "" "$st"
  fi
}
p_http() {
  n=0
  while :; do
    n=$((n + 1))
    out=$(curl -sS -o /dev/null --connect-timeout 2 -m 4 -w '%{http_code} %{time_total}' "$2" 2>&1)
    rc=$?
    [ "$rc" -eq 0 ] && break
    [ "$n" -ge "$3" ] && break
    sleep 1
  done
  if [ "$rc" -eq 0 ]; then
    code=$(echo "$out" | cut -d ' ' -f 1); t=$(echo "$out" | cut -d ' ' -f 2)
    ms=$(awk -v t="$t" 'BEGIN { printf "%.3f", t * 1000 }')
    a=""; [ "$n" -gt 1 ] && a=" (attempt $n)"
    emit "$1" pass "" "$ms" "HTTP $code$a" ""
  else
    case "$rc" in
      28) e=timeout ;;
      7)
        hp=$(echo "$2" | sed -n 's,^[a-z]*://\([^/:]*\):\([0-9]*\).*,\1 \2,p')
        why=$(nc -w 2 $hp </dev/null 2>&1)
        out="$out $why"
        case "$why" in *efused*) e=refused ;; *) e=unreachable ;; esac ;;
      52 | 56) e=reset ;;
      *) e=other ;;
    esac
    emit "$1" fail "$e" "" "curl exit $rc after $n attempt(s): $(echo "$out" | grep -v '^000' | tail -n 2)" ""
  fi
}
p_dns() {
  if [ "$4" = tcp ]; then t=+tcp; else t=+notcp; fi
  out=$(dig +time=2 +tries=1 $t @"$2" "$3" A 2>&1)
  st=$(echo "$out" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p' | head -n 1)
  qt=$(echo "$out" | sed -n 's/.*Query time: \([0-9]*\) msec.*/\1/p' | head -n 1)
  ans=$(echo "$out" | awk '/ANSWER SECTION/ { f = 1; next } f && NF == 0 { f = 0 } f && $4 == "A" { print $5 }' | head -n 3 | tr '\n' ' ')
  case "$st" in
    NOERROR)
      if [ -n "$ans" ]; then emit "$1" pass "" "$qt" "$3 -> $ans" ""
      else emit "$1" fail wrong-answer "" "$3: NOERROR without an A record" ""; fi ;;
    NXDOMAIN) emit "$1" fail nxdomain "" "$3: NXDOMAIN" "" ;;
    SERVFAIL) emit "$1" fail servfail "" "$3: SERVFAIL" "" ;;
    "")
      case "$out" in
        *efused*) e=refused ;;
        *"timed out"* | *"no servers"*) e=timeout ;;
        *nreachable*) e=unreachable ;;
        *reset*) e=reset ;;
        *) e=other ;;
      esac
      emit "$1" fail "$e" "" "$(echo "$out" | grep '^;;' | tail -n 2)" "" ;;
    *) emit "$1" fail other "" "$3: $st" "" ;;
  esac
}
tlsline() { echo "$1" | sed -n "s/^\*  *$2: //p" | head -n 1 | tr -d '|' | cut -c1-90; }
p_tls() {
  url="https://$2:$3/"
  ca=""; [ -n "$TLS_CA" ] && ca="--cacert /tmp/tls-ca.pem"
  w='\n@@ %{time_namelookup} %{time_connect} %{time_appconnect}\n%{certs}'
  out=$(curl -sS -v -o /dev/null $ca --connect-timeout 3 -m 8 -w "$w" "$url" 2>&1)
  rc=$?
  why=$(echo "$out" | sed -n 's/^curl: ([0-9]*) //p' | head -n 1 | tr -d '|')
  v=ok
  case "$rc" in
    51 | 60)
      case "$why" in
        *expired*) v=expired ;;
        *"not yet valid"*) v=not-yet-valid ;;
        *"subject name"* | *"match target host"* | *"does not match"*) v=name-mismatch ;;
        *) v=untrusted ;;
      esac
      # The certificate itself, from a second handshake that does not stop at the check.
      out=$(curl -sS -v -k -o /dev/null --connect-timeout 3 -m 8 -w "$w" "$url" 2>&1) ;;
  esac
  conn=$(echo "$out" | sed -n 's/^\* SSL connection using \([^ ]*\) \/ \([^ ]*\).*/\1|\2/p' | head -n 1)
  # A server that speaks TLS but not HTTP still completed the handshake: that is what is probed.
  if [ -z "$conn" ] && [ "$v" = ok ]; then v=not-reached; fi
  [ -z "$conn" ] && conn="|"
  times=$(echo "$out" | sed -n 's/^@@ //p' | tail -n 1)
  # The presented chain, leaf first: one Subject line per certificate (curl 7.88 and later).
  chain=$(echo "$out" | sed -n 's/^Subject://p' | tr -d '|^' | cut -c1-80 | head -n 5 | tr '\n' '^')
  t="$v|$why|$conn|$(tlsline "$out" "expire date")|$(tlsline "$out" subject)|$(tlsline "$out" issuer)|$times|$chain"
  tls=$(echo "$times" | cut -d ' ' -f 3)
  # The address the name resolved to, so a failed handshake can be traced through the node.
  addr=$(echo "$out" | sed -n 's/^\*  *Trying \([0-9.]*\):[0-9]*\.\.\..*/\1/p' | head -n 1)
  ms=$(awk -v t="$tls" 'BEGIN { printf "%.3f", t * 1000 }')
  case "$v" in
    ok) emit "$1" pass "" "$ms" "$(echo "$conn" | tr '|' ' ')" "" "" "$t" "$addr" ;;
    not-reached)
      case "$rc" in
        6) e=nxdomain ;;
        7) case "$out" in *efused*) e=refused ;; *) e=unreachable ;; esac ;;
        28) e=timeout ;;
        52 | 56) e=reset ;;
        *) e=other ;;
      esac
      emit "$1" fail "$e" "" "curl exit $rc: $why" "" "" "$t" "$addr" ;;
    *) emit "$1" fail other "" "certificate $v: $why" "" "" "$t" "$addr" ;;
  esac
}
p_mtu() {
  size=$((MTU - 28 + $3))
  if [ "$DF" -ne 1 ]; then emit "$1" skip "" "" "${NO_DF_PING}" "$size"; return; fi
  out=$("$PING" -M do -c 2 -W 2 -w 4 -s "$size" "$2" 2>&1)
  rx=$(received "$out")
  if [ -n "$rx" ] && [ "$rx" -gt 0 ]; then emit "$1" pass "" "$(avgrtt "$out")" "$size bytes with DF: $rx of 2 replies" "$size"
  else
    case "$out" in
      *"Frag needed"* | *nreachable*) e=unreachable ;;
      *"too long"*) e=other ;;
      *) e=timeout ;;
    esac
    emit "$1" fail "$e" "" "$(echo "$out" | grep -v '^PING' | tail -n 3)" "$size"
  fi
}
echo "{\"start\":1,\"df\":$DF,\"mtu\":$MTU}"
running=0
while read -r idx kind a b c; do
  [ -z "$idx" ] && continue
  case "$kind" in
    icmp) p_icmp "$idx" "$a" & ;;
    http) p_http "$idx" "$a" "$b" & ;;
    dns) p_dns "$idx" "$a" "$b" "$c" & ;;
    mtu) p_mtu "$idx" "$a" "$b" & ;;
    tls) p_tls "$idx" "$a" "$b" & ;;
    *) emit "$idx" error "" "" "unknown probe kind $kind" "" ;;
  esac
  running=$((running + 1))
  if [ "$running" -ge "$PAR" ]; then wait; running=0; fi
done <<EOF_PLAN
$PLAN
EOF_PLAN
wait
echo '{"done":1}'
`;

export const CAPTURE_SCRIPT = String.raw`
IF=$(ip -o -4 addr show | awk -v ip="$NODE_IP" '{ split($4, a, "/"); if (a[1] == ip) print $2 }' | head -n 1)
[ -z "$IF" ] && IF=any
tcpdump -Z root -i "$IF" -nn -q -l '${VXLAN_PORTS.map((p) => `udp port ${p}`).join(' or ')}' >/tmp/cap 2>/tmp/cap.err &
TP=$!
n=0
while ! grep -q 'listening on' /tmp/cap.err 2>/dev/null; do
  sleep 0.2; n=$((n + 1))
  if [ "$n" -ge 50 ] || ! kill -0 "$TP" 2>/dev/null; then
    echo "{\"error\":\"$(tr -d '"\\' </tmp/cap.err | tr '\n' ' ' | cut -c1-200)\"}"; exit 1
  fi
done
echo "{\"capturing\":1,\"iface\":\"$IF\"}"
S=0
while [ "$S" -lt "$MAX_SECONDS" ]; do
  sleep 1; S=$((S + 1))
  awk -v me="$NODE_IP" -v t="$S" -v ifc="$IF" '
    { for (i = 1; i <= NF; i++) if ($i == "IP") { s = $(i + 1); d = $(i + 3); break }
      sub(/\.[0-9]+:?$/, "", s); sub(/\.[0-9]+:?$/, "", d)
      p = (s == me) ? d : s; c[p]++; n++ }
    END { printf "{\"t\":%d,\"iface\":\"%s\",\"total\":%d,\"peers\":{", t, ifc, n; sep = "";
      for (p in c) { printf "%s\"%s\":%d", sep, p, c[p]; sep = "," } print "}}" }' /tmp/cap
done
kill "$TP" 2>/dev/null
`;
