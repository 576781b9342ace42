/**
 * Golden tests: every renderer's output for every fixture report, byte for byte. After an
 * intended change, regenerate with `UPDATE_GOLDEN=1 node --test "test/report/*.test.ts"` and review the diff.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { REPORT_FORMATS, type ReportFormat, render } from '../../src/report/index.ts';
import { REPORT_FIXTURES } from '../fixtures/report/index.ts';

const GOLDEN_DIR = new URL('../fixtures/report/golden/', import.meta.url);
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

const EXTENSION: Record<ReportFormat, string> = {
  text: 'summary.txt',
  json: 'json',
  yaml: 'yaml',
  md: 'md',
  html: 'html',
  junit: 'junit.xml',
};

function checkGolden(file: string, actual: string): void {
  const url = new URL(file, GOLDEN_DIR);
  if (UPDATE || !existsSync(url)) {
    if (!UPDATE)
      assert.fail(`golden file ${file} is missing; run UPDATE_GOLDEN=1 node --test "test/report/*.test.ts"`);
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(url, actual);
    return;
  }
  assert.equal(actual, readFileSync(url, 'utf8'), `${file} differs from its golden file`);
}

for (const { name, report } of REPORT_FIXTURES) {
  describe(`golden: ${name}`, () => {
    for (const format of REPORT_FORMATS) {
      it(`renders ${format}`, () => {
        checkGolden(`${name}.${EXTENSION[format]}`, render(report, format));
      });
    }
    it('renders the coloured terminal summary', () => {
      checkGolden(`${name}.summary.ansi.txt`, render(report, 'text', { color: true }));
    });
  });
}
