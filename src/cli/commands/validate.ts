import { type Command, Option } from 'commander';
import { KubePort, loadKubeConfig } from '../../cluster/kube-port.ts';
import { DEFAULT_AGENT_IMAGE, DEFAULT_AGENT_NAMESPACE } from '../../collect/node/agent-pod.ts';
import { newRunId } from '../../diagnose/pipeline.ts';
import type { TlsTarget } from '../../probe/types.ts';
import {
  parseTarget,
  renderValidationJson,
  renderValidationJunit,
  renderValidationText,
  runValidation,
} from '../../remediate/validate.ts';
import { duration } from '../option-parsers.ts';
import { agentImageOf, agentImageOptions } from '../options.ts';
import { tlsOptions, tlsProbeOptions } from '../tls-options.ts';

const FORMATS = ['text', 'json', 'junit'] as const;

interface ValidateFlags {
  output: (typeof FORMATS)[number];
  target: string[];
  kubeconfig?: string;
  context?: string;
  agentImage: string;
  toolboxImage?: string;
  probeImage?: string;
  probeNamespace: string;
  externalTarget?: string;
  externalName?: string;
  /** Milliseconds. */
  timeout: number;
  tlsTarget: TlsTarget[];
  tlsCa?: string;
  details?: boolean;
}

/** `netdoctor validate`: seed 001's suite plus app checks; exit 0 when every check passes, 1 otherwise. */
export function registerValidate(program: Command): void {
  const [imageOption, toolboxAlias, probeAlias] = agentImageOptions(DEFAULT_AGENT_IMAGE);
  const cmd = program
    .command('validate')
    .description(
      'the validation suite: pod-to-pod ping and HTTP, DNS, component health, ClusterIP and NodePort, app checks',
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices(FORMATS).default('text'))
    .option(
      '--target <ns/pod:port>',
      'also check HTTP to this pod from every node (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <name>', 'kubeconfig context')
    .addOption(imageOption)
    .addOption(toolboxAlias)
    .addOption(probeAlias)
    .option('--probe-namespace <ns>', 'namespace for the probe pods and Service', DEFAULT_AGENT_NAMESPACE)
    .option('--external-target <url>', 'external URL fetched from every node (none: skipped)')
    .option('--external-name <name>', 'external name resolved through cluster DNS (none: skipped)')
    .addOption(
      new Option('--timeout <duration>', 'budget for the probe run: 120, 120s, 2m')
        .argParser(duration({ min: 1000, max: 24 * 3_600_000 }))
        .default(120_000, '2m'),
    )
    .option('--details', 'show the detail of passing checks too');
  for (const o of tlsOptions()) cmd.addOption(o);
  cmd.action(async (flags: ValidateFlags) => {
    const targets = flags.target.map(parseTarget);
    const tls = await tlsProbeOptions(flags);
    const port = new KubePort(
      loadKubeConfig({
        ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
        ...(flags.context ? { context: flags.context } : {}),
      }),
    );
    const result = await runValidation(port, {
      image: agentImageOf(flags),
      namespace: flags.probeNamespace,
      runId: newRunId(),
      targets,
      timeoutMs: flags.timeout,
      ...(flags.externalTarget ? { externalTarget: flags.externalTarget } : {}),
      ...(flags.externalName ? { externalName: flags.externalName } : {}),
      ...tls,
    });
    const text =
      flags.output === 'json'
        ? renderValidationJson(result)
        : flags.output === 'junit'
          ? renderValidationJunit(result)
          : renderValidationText(result, { verbose: flags.details === true });
    process.stdout.write(text);
    process.exitCode = result.passed ? 0 : 1;
  });
}
