/**
 * The bundle limit flags, shared by every command that reads a bundle. Defaults live in
 * collect/bundle/limits.ts; a flag only raises (or lowers) one of them for this run.
 */
import { type Command, Option } from 'commander';
import { type BundleLimits, DEFAULT_LIMITS, formatBytes, LIMIT_FLAGS } from '../collect/bundle/limits.ts';
import { count, number, size } from './option-parsers.ts';

/** The limit flags as commander hands them to an action. */
export interface BundleLimitFlags {
  maxBundleEntries?: number;
  maxBundleBytes?: number;
  maxBundleFileBytes?: number;
  maxBundleExpansion?: number;
}

const TiB = 1024 ** 4;

/** Adds the four limit flags to `cmd`. */
export function withBundleLimitOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        `${LIMIT_FLAGS.maxEntries} <n>`,
        `most files or archive members a bundle may hold (default ${DEFAULT_LIMITS.maxEntries})`,
      ).argParser(count({ min: 1, max: 100_000_000 })),
    )
    .addOption(
      new Option(
        `${LIMIT_FLAGS.maxTotalBytes} <size>`,
        `most bytes a bundle may unpack to, e.g. 8GiB (default ${formatBytes(DEFAULT_LIMITS.maxTotalBytes)})`,
      ).argParser(size({ min: 1024, max: TiB })),
    )
    .addOption(
      new Option(
        `${LIMIT_FLAGS.maxFileBytes} <size>`,
        `most bytes of one bundle file (default ${formatBytes(DEFAULT_LIMITS.maxFileBytes)})`,
      ).argParser(size({ min: 1024, max: TiB })),
    )
    .addOption(
      new Option(
        `${LIMIT_FLAGS.maxExpansionRatio} <ratio>`,
        `most times an archive may expand when unpacked (default ${DEFAULT_LIMITS.maxExpansionRatio})`,
      ).argParser(number({ min: 1, max: 1_000_000 })),
    );
}

/** The limits the flags set; the rest keep their defaults. */
export function limitsFrom(flags: BundleLimitFlags): Partial<BundleLimits> {
  return {
    ...(flags.maxBundleEntries === undefined ? {} : { maxEntries: flags.maxBundleEntries }),
    ...(flags.maxBundleBytes === undefined ? {} : { maxTotalBytes: flags.maxBundleBytes }),
    ...(flags.maxBundleFileBytes === undefined ? {} : { maxFileBytes: flags.maxBundleFileBytes }),
    ...(flags.maxBundleExpansion === undefined ? {} : { maxExpansionRatio: flags.maxBundleExpansion }),
  };
}
