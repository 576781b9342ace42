#!/usr/bin/env node
/**
 * netdoctor's entry point. It imports nothing before it has checked the Node.js version: the
 * libraries netdoctor loads use APIs that older Node.js lines lack, and on those an import
 * would fail with a stack trace from deep inside a dependency instead of a clear message.
 * Keep this file free of static imports and of syntax newer than the oldest Node.js it must
 * still reject cleanly.
 */

/** The oldest Node.js major line netdoctor runs on; package.json's `engines` says the same. */
const MIN_NODE_MAJOR = 24;

export {};

const major = Number(process.versions.node.split('.')[0]);
if (!(major >= MIN_NODE_MAJOR)) {
  process.stderr.write(
    `netdoctor: needs Node.js ${MIN_NODE_MAJOR} or newer; this is Node.js ${process.versions.node}\n`,
  );
  process.exit(2);
}
const { runAndExit } = await import('./run.ts');
await runAndExit(process.argv);
