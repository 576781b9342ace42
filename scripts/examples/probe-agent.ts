/**
 * Runs inside a pod's network namespace (`ip netns exec <pod-ns> node probe-agent.ts <job>`)
 * and performs one probe: an HTTP GET or a DNS A query over UDP or TCP. Prints one JSON line:
 * the ProbeOutcome.
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

interface Job {
  kind: 'http' | 'dns';
  ip: string;
  port: number;
  name?: string;
  proto?: 'udp' | 'tcp';
  timeoutMs: number;
  /** DNS only: the answer that counts as right. */
  expectAddress?: string;
}

type Outcome =
  | { status: 'pass'; rttMs: number; detail?: string }
  | { status: 'fail'; error: string; detail?: string };

function errorKind(code: string | undefined): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'unreachable';
    case 'ECONNRESET':
      return 'reset';
    default:
      return 'other';
  }
}

function http(job: Job): Promise<Outcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let data = '';
    const sock = connect({ host: job.ip, port: job.port });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({
        status: 'fail',
        error: 'timeout',
        detail: `no response from ${job.ip}:${job.port} within ${job.timeoutMs} ms`,
      });
    }, job.timeoutMs);
    sock.on('connect', () => sock.write(`GET / HTTP/1.0\r\nHost: ${job.ip}\r\n\r\n`));
    sock.on('data', (d) => {
      data += d.toString('latin1');
    });
    sock.on('end', () => {
      clearTimeout(timer);
      const status = data.split('\r\n')[0] ?? '';
      resolve(
        /^HTTP\/1\.[01] [23]\d\d/.test(status)
          ? { status: 'pass', rttMs: round(performance.now() - t0), detail: status }
          : { status: 'fail', error: 'other', detail: `unexpected response: ${status}` },
      );
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({
        status: 'fail',
        error: errorKind(e.code),
        detail: `connect ${job.ip}:${job.port}: ${e.code ?? e.message}`,
      });
    });
  });
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

function query(name: string, id: number): Buffer {
  const labels = name
    .split('.')
    .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')]));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}

const RCODES: Record<number, string> = {
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
};

function answer(job: Job, msg: Buffer, t0: number): Outcome {
  const rcode = (msg.readUInt16BE(2) ?? 0) & 0xf;
  if (rcode === 3) return { status: 'fail', error: 'nxdomain', detail: `${job.name}: NXDOMAIN` };
  if (rcode !== 0)
    return { status: 'fail', error: 'servfail', detail: `${job.name}: ${RCODES[rcode] ?? rcode}` };
  const an = msg.readUInt16BE(6);
  let off = 12;
  while (msg[off] !== 0) off += (msg[off] ?? 0) + 1;
  off += 5;
  const addrs: string[] = [];
  for (let i = 0; i < an; i++) {
    off += (msg[off] ?? 0) >= 0xc0 ? 2 : 0;
    const type = msg.readUInt16BE(off);
    const len = msg.readUInt16BE(off + 8);
    if (type === 1 && len === 4) addrs.push([...msg.subarray(off + 10, off + 14)].join('.'));
    off += 10 + len;
  }
  const rtt = round(performance.now() - t0);
  if (job.expectAddress !== undefined && !addrs.includes(job.expectAddress)) {
    return {
      status: 'fail',
      error: 'wrong-answer',
      detail: `${job.name} -> ${addrs.join(', ') || '(none)'}`,
    };
  }
  return { status: 'pass', rttMs: rtt, detail: `${job.name} -> ${addrs.join(', ')}` };
}

function dnsUdp(job: Job): Promise<Outcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const id = (process.pid * 7) & 0xffff;
    const timer = setTimeout(() => {
      s.close();
      resolve({
        status: 'fail',
        error: 'timeout',
        detail: `no reply from ${job.ip}:${job.port}/udp within ${job.timeoutMs} ms`,
      });
    }, job.timeoutMs);
    s.on('message', (m) => {
      if (m.readUInt16BE(0) !== id) return;
      clearTimeout(timer);
      s.close();
      resolve(answer(job, m, t0));
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      s.close();
      resolve({
        status: 'fail',
        error: errorKind(e.code),
        detail: `${job.ip}:${job.port}/udp: ${e.code ?? e.message}`,
      });
    });
    s.send(query(job.name!, id), job.port, job.ip);
  });
}

function dnsTcp(job: Job): Promise<Outcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const id = (process.pid * 7) & 0xffff;
    let buf = Buffer.alloc(0);
    const sock = connect({ host: job.ip, port: job.port });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({
        status: 'fail',
        error: 'timeout',
        detail: `no reply from ${job.ip}:${job.port}/tcp within ${job.timeoutMs} ms`,
      });
    }, job.timeoutMs);
    sock.on('connect', () => {
      const q = query(job.name!, id);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(q.length);
      sock.write(Buffer.concat([len, q]));
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        clearTimeout(timer);
        sock.destroy();
        resolve(answer(job, buf.subarray(2), t0));
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({
        status: 'fail',
        error: errorKind(e.code),
        detail: `connect ${job.ip}:${job.port}/tcp: ${e.code ?? e.message}`,
      });
    });
  });
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const outcome =
  job.kind === 'http' ? await http(job) : job.proto === 'tcp' ? await dnsTcp(job) : await dnsUdp(job);
process.stdout.write(`${JSON.stringify(outcome)}\n`);
