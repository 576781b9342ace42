/**
 * `-o junit` for `netdoctor validate` and CI: one testsuite per probe scenario with one testcase
 * per probe, and a "root-causes" suite with one failing testcase per root cause, so a CI page
 * shows both what failed and why. A probe is judged against its expectation, so a flow a policy
 * is meant to block passes when it is blocked.
 */
import type { Report, RootCause } from '../core/model.ts';
import type { ProbeResult } from '../core/probe-types.ts';
import { escapeXmlAttr as a, escapeXml as x } from './escape.ts';
import type { RenderOptions } from './render-options.ts';
import {
  coverageDetails,
  coverageSummary,
  describeSubject,
  evidenceLine,
  formatConfidence,
  isProbeResults,
  nextCommandsFor,
  probeDetail,
  probeMatrices,
  probeState,
} from './report-view.ts';

/** One `<testsuite>`; also built by `netdoctor validate` (remediate/validate.ts). */
export interface JunitSuite {
  name: string;
  timestamp?: string;
  cases: JunitCase[];
}
/** One `<testcase>`. */
export interface JunitCase {
  classname: string;
  name: string;
  seconds: number;
  /** Body element: none for a pass. */
  result?: { element: 'failure' | 'error' | 'skipped'; message: string; type?: string; text?: string };
}

export function renderJunit(report: Report, _opts: RenderOptions = {}): string {
  const suites: JunitSuite[] = [];
  const startedAt = isProbeResults(report.probes) ? report.probes.startedAt : undefined;
  for (const m of probeMatrices(report)) {
    const suite: JunitSuite = {
      name: `probes.${m.scenario}`,
      cases: m.results.map((r) => probeCase(r, m.scenario)),
    };
    if (startedAt !== undefined) suite.timestamp = startedAt;
    suites.push(suite);
  }
  suites.push({ name: 'root-causes', timestamp: report.generatedAt, cases: rootCauseCases(report) });
  suites.push({ name: 'coverage', timestamp: report.generatedAt, cases: coverageCases(report) });
  return renderJunitSuites(suites);
}

/**
 * Coverage short of a verdict is an error (the check could not run), never a pass; a symptom no
 * root cause explains is a failure of its own.
 */
function coverageCases(report: Report): JunitCase[] {
  const c = report.coverage;
  const cases: JunitCase[] = [
    {
      classname: 'coverage',
      name: coverageSummary(c),
      seconds: 0,
      ...(c.sufficient
        ? {}
        : {
            result: {
              element: 'error' as const,
              message: `inconclusive: ${c.shortfalls.join('; ')}`,
              type: 'inconclusive',
              text: [...coverageDetails(c), c.thresholds].join('\n'),
            },
          }),
    },
  ];
  for (const u of report.unexplained) {
    cases.push({
      classname: 'unexplained-symptoms',
      name: u.finding,
      seconds: 0,
      result: { element: 'failure', message: u.summary, type: 'unexplained-symptom' },
    });
  }
  return cases;
}

/** The JUnit XML document for these suites (escaping and tallies in one place). */
export function renderJunitSuites(suites: readonly JunitSuite[], name = 'netdoctor'): string {
  const total = tally(suites.flatMap((s) => s.cases));
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${a(name)}" tests="${total.tests}" failures="${total.failures}" errors="${total.errors}" skipped="${total.skipped}" time="${seconds(total.time)}">`,
  ];
  suites.forEach((s, id) => {
    lines.push(...suiteXml(s, id));
  });
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}

function probeCase(r: ProbeResult, scenario: string): JunitCase {
  const o = r.outcome;
  const c: JunitCase = {
    classname: `probes.${scenario}`,
    name: r.id,
    seconds: o.status === 'pass' && o.rttMs !== undefined ? o.rttMs / 1000 : 0,
  };
  const detail = probeDetail(r);
  switch (probeState(r)) {
    case 'pass':
      break;
    case 'fail':
      c.result = {
        element: 'failure',
        message: o.status === 'fail' ? `${o.error} (expected ${r.expect})` : `passed (expected ${r.expect})`,
        type: o.status === 'fail' ? o.error : 'unexpected-pass',
        text: detail,
      };
      break;
    case 'skipped':
      c.result = { element: 'skipped', message: o.status === 'skipped' ? o.reason : 'skipped' };
      break;
    case 'error':
      c.result = { element: 'error', message: o.status === 'error' ? o.error : 'error', text: detail };
      break;
  }
  return c;
}

function rootCauseCases(report: Report): JunitCase[] {
  if (report.rootCauses.length === 0) {
    // An empty suite looks like "nothing ran" on most CI pages; a passing case says "checked, none".
    return [{ classname: 'root-causes', name: 'no root cause found', seconds: 0 }];
  }
  return report.rootCauses.map((rc) => ({
    classname: 'root-causes',
    name: `${rc.category} ${describeSubject(rc.subject)}`,
    seconds: 0,
    result: { element: 'failure', message: rc.summary, type: rc.category, text: rootCauseText(report, rc) },
  }));
}

function rootCauseText(report: Report, rc: RootCause): string {
  const lines = [`${rc.summary}`, `confidence: ${formatConfidence(rc.confidence)}`, 'evidence:'];
  for (const e of rc.evidence) lines.push(`  ${evidenceLine(e)}`);
  if (rc.explains.length > 0) lines.push(`explains: ${rc.explains.join(', ')}`);
  if (rc.remediation.length > 0) lines.push(`remediation: ${rc.remediation.join(', ')}`);
  const next = nextCommandsFor(report, rc);
  if (next.length > 0) lines.push('next:', ...next.map((c) => `  ${c}`));
  return lines.join('\n');
}

interface Tally {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  time: number;
}

function tally(cases: readonly JunitCase[]): Tally {
  const t: Tally = { tests: cases.length, failures: 0, errors: 0, skipped: 0, time: 0 };
  for (const c of cases) {
    t.time += c.seconds;
    if (c.result?.element === 'failure') t.failures += 1;
    else if (c.result?.element === 'error') t.errors += 1;
    else if (c.result?.element === 'skipped') t.skipped += 1;
  }
  return t;
}

function suiteXml(s: JunitSuite, id: number): string[] {
  const t = tally(s.cases);
  const ts = s.timestamp === undefined ? '' : ` timestamp="${a(s.timestamp)}"`;
  const lines = [
    `  <testsuite id="${id}" name="${a(s.name)}" tests="${t.tests}" failures="${t.failures}" errors="${t.errors}" skipped="${t.skipped}" time="${seconds(t.time)}"${ts}>`,
  ];
  for (const c of s.cases) {
    const open = `    <testcase classname="${a(c.classname)}" name="${a(c.name)}" time="${seconds(c.seconds)}"`;
    const r = c.result;
    if (r === undefined) {
      lines.push(`${open}/>`);
      continue;
    }
    const type = r.type === undefined ? '' : ` type="${a(r.type)}"`;
    const body = r.text === undefined ? '/>' : `>${x(r.text)}</${r.element}>`;
    lines.push(`${open}>`, `      <${r.element} message="${a(r.message)}"${type}${body}`, '    </testcase>');
  }
  lines.push('  </testsuite>');
  return lines;
}

function seconds(s: number): string {
  return s.toFixed(3);
}
