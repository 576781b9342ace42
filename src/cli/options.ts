import { Option } from 'commander';

/** Report formats a command can print (PRODUCT.md common flag `-o`). */
export const OUTPUT_FORMATS = ['text', 'json', 'yaml', 'md', 'html', 'junit'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** `-o, --output <format>` shared by every command that prints a report. */
export function outputOption(defaultFormat: OutputFormat = 'text'): Option {
  return new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default(defaultFormat);
}

/**
 * `--agent-image <image>`: the one image of every pod netdoctor runs on a node (node agents,
 * probe pods, node command pods), in every command that runs them. The names earlier releases
 * used (`--toolbox-image`, `--probe-image`) still work, hidden from help.
 */
export function agentImageOptions(
  defaultImage: string,
): [image: Option, toolboxAlias: Option, probeAlias: Option] {
  return [
    new Option(
      '--agent-image <image>',
      'image of the node agent, probe and node command pods (any image with sh, iproute2, iptables, nft, ping, curl and dig; in an air-gapped cluster, mirror it or load it on every node)',
    ).default(defaultImage),
    new Option('--toolbox-image <image>').hideHelp(),
    new Option('--probe-image <image>').hideHelp(),
  ];
}

/** The image chosen with {@link agentImageOptions}: an old flag name given explicitly wins over the default. */
export function agentImageOf(flags: {
  agentImage: string;
  toolboxImage?: string;
  probeImage?: string;
}): string {
  return flags.toolboxImage ?? flags.probeImage ?? flags.agentImage;
}
