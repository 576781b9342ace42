import { NODE_CNI_DIR, NODE_FILES, type NodeFileKey } from '../bundle/layout.ts';

/**
 * The shell script that collects one node's datapath, the same whichever way netdoctor gets
 * onto the node (agent pod, SSH, local). It prints every NODE_FILES part between markers, so a
 * single stream (pod logs, an SSH session's stdout) carries the whole node and needs no
 * `pods/exec`. Each part records the command's exit status: a missing tool becomes a gap,
 * not an empty file that would read as "no rules".
 */

/** Sysctls the rules read. */
export const SYSCTL_KEYS = [
  'net.ipv4.ip_forward',
  'net.ipv4.conf.all.forwarding',
  'net.ipv4.conf.all.rp_filter',
  'net.ipv4.conf.default.rp_filter',
  'net.bridge.bridge-nf-call-iptables',
  'net.bridge.bridge-nf-call-ip6tables',
  'net.ipv6.conf.all.forwarding',
  'net.netfilter.nf_conntrack_max',
  'net.netfilter.nf_conntrack_count',
] as const;

export const MARK = '=====netdoctor';

/**
 * The tables iptables-nft keeps its rules in (`ip`/`ip6` filter, nat, mangle, raw, security).
 * When iptables-nft-save ran, its file already holds them, in the form the rules read; `nft -j`
 * lists them a second time at about three times the size (kube-proxy's Service rules in a large
 * cluster: megabytes per node). The analysis ignores them in the nft file whenever the
 * iptables-nft file is there, so leaving them out loses nothing it reads.
 */
export const IPTABLES_NFT_TABLES = ['filter', 'nat', 'mangle', 'raw', 'security'] as const;

const XT_CASES = (['ip', 'ip6'] as const)
  .flatMap((family) => IPTABLES_NFT_TABLES.map((t) => `'${family} ${t}'`))
  .join('|');

/**
 * `nft -j list ruleset`, less iptables-nft's tables when iptables-nft-save succeeded (its part
 * runs first and leaves `RC_iptablesNft`): each other table listed on its own, joined into one
 * `{"nftables": [...]}` document (the items of each, metainfo included, in table order). Any
 * nft failure fails the part, so a failed listing never reads as an empty ruleset.
 */
const NFT_RULESET = [
  `if [ "\${RC_iptablesNft:-1}" != 0 ]; then exec nft -j list ruleset; fi`,
  'tables=$(nft list tables) || exit 1',
  `printf '%s\\n' "$tables" | { printf '{"nftables": ['; sep=''; while read -r _ fam name; do [ -n "$name" ] || continue; case "$fam $name" in ${XT_CASES}) continue;; esac; t=$(nft -j list table "$fam" "$name") || exit 1; t=\${t#*\\[}; t=\${t%\\]*}; printf '%s%s' "$sep" "$t"; sep=', '; done; printf ']}'; }`,
].join('; ');

/** The commands behind each raw file. `$ROOT` is where the node's filesystem is mounted. */
export const NODE_COMMANDS: Record<Exclude<NodeFileKey, 'vxlanCapture' | 'cniStatus'>, string> = {
  links: '"$IP" -d -j addr show',
  routes: '"$IP" -j route show table all',
  ipRules: '"$IP" -j rule show',
  neighbors: '"$IP" -j neigh show',
  fdb: '"$BRIDGE" -j fdb show',
  iptablesLegacy: 'iptables-legacy-save',
  iptablesNft: 'iptables-nft-save',
  nftRuleset: NFT_RULESET,
  sysctls: `for k in ${SYSCTL_KEYS.join(' ')}; do v=$(cat /proc/sys/$(echo $k | tr . /) 2>/dev/null) && echo "$k = $v"; done`,
  modules: 'cat /proc/modules',
  flannelSubnetEnv: 'cat "$ROOT/run/flannel/subnet.env"',
  resolvConf: 'cat "$ROOT/etc/resolv.conf"',
};

/**
 * Parts read from a file: when the file does not exist the script says so (`absent`), a fact
 * about the node, distinct from a read that failed.
 */
export const FILE_PARTS: Partial<Record<keyof typeof NODE_COMMANDS, string>> = {
  flannelSubnetEnv: '$ROOT/run/flannel/subnet.env',
  resolvConf: '$ROOT/etc/resolv.conf',
};

/** The first `tool` binary that is not busybox, by absolute path; the bare name otherwise. */
const IPROUTE_LOOKUP = (tool: string): string =>
  `for p in /usr/sbin/${tool} /sbin/${tool} /usr/bin/${tool} /bin/${tool}; do [ -x "$p" ] && ! readlink -f "$p" | grep -q busybox && echo "$p" && exit; done; echo ${tool}`;

/**
 * Builds the script. `root` is the host filesystem's mount point inside the agent ('' when
 * running on the node itself).
 */
export function nodeScript(root = ''): string {
  const parts = Object.entries(NODE_COMMANDS).map(([key, cmd]) => {
    // RC_<part> lets a later part depend on an earlier one's success (the nft part does).
    const part = `echo '${MARK} begin ${key}'; ( ${cmd} ) 2>"$ERR"; rc=$?; RC_${key}=$rc; echo; echo "${MARK} end ${key} $rc $(head -c 300 "$ERR" | tr '\\n' ' ')"`;
    const file = FILE_PARTS[key as keyof typeof NODE_COMMANDS];
    // -e follows symlinks: a dangling link is as absent as a missing file.
    return file ? `if [ -e "${file}" ]; then ${part}; else echo '${MARK} absent ${key}'; fi` : part;
  });
  return [
    'ROOT=' + JSON.stringify(root),
    // busybox sh runs its own applets before PATH, and busybox `ip` has no -j: use iproute2's.
    ...(['ip', 'bridge'] as const).map((tool) => `${tool.toUpperCase()}=$(${IPROUTE_LOOKUP(tool)})`),
    'ERR=$(mktemp)',
    ...parts,
    `if [ -d "$ROOT/etc/cni/net.d" ]; then echo '${MARK} present ${NODE_CNI_DIR}'; else echo '${MARK} absent ${NODE_CNI_DIR}'; fi`,
    `for f in "$ROOT"/etc/cni/net.d/*; do [ -f "$f" ] || continue; echo "${MARK} begin ${NODE_CNI_DIR}/$(basename "$f")"; cat "$f"; echo; echo "${MARK} end ${NODE_CNI_DIR}/$(basename "$f") 0"; done`,
    'rm -f "$ERR"',
    `echo '${MARK} done'`,
  ].join('\n');
}

/** One part of a node's stream: its file content, or why it is missing. */
export type NodePart =
  | { status: 'ok'; text: string }
  | { status: 'absent' }
  | { status: 'failed'; exitCode: number; stderr: string };

export interface ParsedNodeStream {
  parts: Partial<Record<NodeFileKey, NodePart>>;
  cniFiles: { file: string; text: string }[];
  /** Whether /etc/cni/net.d exists; undefined when the stream does not say (an older script, cut short). */
  cniDir: 'present' | 'absent' | undefined;
  /** False when the stream stopped before the final marker (agent killed, log truncated). */
  complete: boolean;
}

const BEGIN = `${MARK} begin `;
const ABSENT = `${MARK} absent `;
const PRESENT = `${MARK} present `;
const END = `${MARK} end `;

/** Splits a node script's output back into its parts. */
export function parseNodeStream(output: string): ParsedNodeStream {
  const parts: ParsedNodeStream['parts'] = {};
  const cniFiles: ParsedNodeStream['cniFiles'] = [];
  const lines = output.split('\n');
  let current: string | undefined;
  let buf: string[] = [];
  let complete = false;
  let cniDir: ParsedNodeStream['cniDir'];
  for (const line of lines) {
    if (current === undefined && (line.startsWith(ABSENT) || line.startsWith(PRESENT))) {
      const absent = line.startsWith(ABSENT);
      const key = line.slice((absent ? ABSENT : PRESENT).length).trim();
      if (key === NODE_CNI_DIR) cniDir = absent ? 'absent' : 'present';
      else if (absent && key in NODE_FILES) parts[key as NodeFileKey] = { status: 'absent' };
    } else if (line.startsWith(BEGIN)) {
      current = line.slice(BEGIN.length).trim();
      buf = [];
    } else if (line.startsWith(END) && current !== undefined) {
      const [, codeText, ...rest] = line.slice(END.length).split(' ');
      const exitCode = Number(codeText);
      // The script echoes a newline after each part so the end marker starts its own line.
      const text = buf.join('\n').replace(/\n$/, '');
      if (current.startsWith(`${NODE_CNI_DIR}/`)) {
        cniFiles.push({ file: current.slice(NODE_CNI_DIR.length + 1), text });
      } else if (current in NODE_FILES) {
        parts[current as NodeFileKey] =
          exitCode === 0
            ? { status: 'ok', text }
            : { status: 'failed', exitCode, stderr: rest.join(' ').trim() };
      }
      current = undefined;
    } else if (line === `${MARK} done`) {
      complete = true;
    } else if (current !== undefined) {
      buf.push(line);
    }
  }
  return { parts, cniFiles, cniDir, complete };
}
