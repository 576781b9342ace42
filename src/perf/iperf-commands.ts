/**
 * The command lines the perf pods run, and how their logs are read back. Kept apart from the
 * pod manifests so a test can run exactly these lines between two network namespaces, with the
 * host's iperf3, and read the output the way a pod log is read.
 */

/** The pod-network server's port: the pod has its own network namespace, so iperf3's default is free. */
export const POD_SERVER_PORT = 5201;
/**
 * The hostNetwork server's port, in the node's own namespace. Not 5201, which an operator's own
 * iperf3 on a node would hold; a node where this one is taken gets an error row saying so.
 */
export const HOST_SERVER_PORT = 5211;
/** How long the client waits for the server's TCP handshake, in ms (iperf3 --connect-timeout). */
export const CONNECT_TIMEOUT_MS = 5000;
/**
 * Seconds iperf3 runs before it starts counting (-O): TCP's slow start would otherwise weigh on
 * a 5 s test, more on one path than another, and read as a difference between the paths.
 */
export const OMIT_SECONDS = 1;

/** The iperf3 server: serves tests one after the other until its pod is deleted. */
export function serverArgv(port: number, bindIp?: string): string[] {
  // --forceflush: the log is a pipe; without it "Server listening" sits in stdio's buffer and
  // the server never looks ready.
  return ['iperf3', '-s', '-p', String(port), ...(bindIp ? ['-B', bindIp] : []), '--forceflush'];
}

/** A server's log says it accepts tests. */
export function serverListening(log: string): boolean {
  return /Server listening on \d+/.test(log);
}

/** One iperf3 client run: what it sends where, and how. */
export interface ClientRun {
  /** Marks this run's output in the log; no spaces. */
  id: string;
  server: string;
  port: number;
  seconds: number;
  reverse: boolean;
  /** UDP at this rate in Mbit/s; absent: TCP. */
  udpMbps?: number;
}

/** Seconds a run may take before `timeout` ends it: the test, the handshake, the result exchange. */
export function runLimitSeconds(seconds: number): number {
  return OMIT_SECONDS + seconds + CONNECT_TIMEOUT_MS / 1000 + 10;
}

/** The iperf3 client arguments of one run. */
export function clientArgs(r: ClientRun): string[] {
  return [
    '-c',
    r.server,
    '-p',
    String(r.port),
    '-J',
    '-t',
    String(r.seconds),
    '-O',
    String(OMIT_SECONDS),
    '--connect-timeout',
    String(CONNECT_TIMEOUT_MS),
    ...(r.reverse ? ['-R'] : []),
    ...(r.udpMbps !== undefined ? ['-u', '-b', `${Math.max(1, Math.round(r.udpMbps))}M`] : []),
  ];
}

/** The client pod's PLAN: one line per run, `<id> <limit-seconds> <iperf3 args...>`. */
export function clientPlan(runs: readonly ClientRun[]): string {
  return runs.map((r) => [r.id, runLimitSeconds(r.seconds), ...clientArgs(r)].join(' ')).join('\n');
}

/** Seconds a client pod running `runs` needs at most (each run's limit, the pauses, the retries). */
export function clientBudgetSeconds(runs: readonly ClientRun[]): number {
  return runs.reduce((s, r) => s + runLimitSeconds(r.seconds) + 1, 0) + 10;
}

const BEGIN = '=====netdoctor-perf-begin';
const END = '=====netdoctor-perf-end';
const DONE = '=====netdoctor-perf-done';

/**
 * Runs PLAN's lines one after the other (one iperf3 server serves one test at a time) and
 * prints each run's JSON between markers with its exit code. A server still closing the last
 * test answers "busy"; that run is retried after a pause rather than reported as a failure.
 * Every argument is a token netdoctor wrote (an IP, numbers, flags), so word splitting is meant.
 */
export const CLIENT_SCRIPT = `
while read -r id limit args; do
  [ -n "$id" ] || continue
  n=0
  while :; do
    out=$(timeout "$limit" iperf3 $args 2>&1); rc=$?
    n=$((n + 1))
    case "$out" in
      *"server is busy"*) if [ "$n" -lt 5 ]; then sleep 2; continue; fi ;;
    esac
    break
  done
  echo "${BEGIN} $id"
  printf '%s\\n' "$out"
  echo "${END} $id $rc"
  sleep 1
done <<PLAN_END
$PLAN
PLAN_END
echo "${DONE}"
`;

/** One run's output as the client printed it. */
export interface ClientOutput {
  exitCode: number;
  text: string;
}

/** The client log split by run id; `done`: the script reached its end (no run was cut off). */
export function parseClientLog(log: string): { runs: Map<string, ClientOutput>; done: boolean } {
  const runs = new Map<string, ClientOutput>();
  let current: { id: string; lines: string[] } | undefined;
  let done = false;
  for (const line of log.split('\n')) {
    if (line.startsWith(`${BEGIN} `)) {
      current = { id: line.slice(BEGIN.length + 1).trim(), lines: [] };
    } else if (line.startsWith(`${END} `) && current) {
      const [, code] = line
        .slice(END.length + 1)
        .trim()
        .split(/\s+/);
      const exitCode = Number.parseInt(code ?? '', 10);
      runs.set(current.id, {
        exitCode: Number.isNaN(exitCode) ? -1 : exitCode,
        text: current.lines.join('\n'),
      });
      current = undefined;
    } else if (line.trim() === DONE) {
      done = true;
    } else current?.lines.push(line);
  }
  return { runs, done };
}
