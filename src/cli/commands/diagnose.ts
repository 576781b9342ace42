import { type Command, Option } from 'commander';
import pc from 'picocolors';
import { KubePort, loadKubeConfig } from '../../cluster/kube-port.ts';
import { checkOutDir, outDirFromFlag } from '../../collect/bundle/out-dir.ts';
import { bundleDirName } from '../../collect/bundle/write.ts';
import { DEFAULT_AGENT_IMAGE, DEFAULT_AGENT_NAMESPACE } from '../../collect/node/agent-pod.ts';
import { NODE_ACCESS_KINDS, type NodeAccess, type NodeAccessKind } from '../../collect/node/collect-nodes.ts';
import { NetdoctorError } from '../../core/errors.ts';
import type { Report } from '../../core/model.ts';
import { runDiagnosis } from '../../diagnose/pipeline.ts';
import { createProgress, render, shouldUseColor } from '../../report/index.ts';
import { agentImageOf, agentImageOptions, type OutputFormat, outputOption } from '../options.ts';
import { exitCodeFor } from '../report-output.ts';
import { type TlsFlags, tlsOptions, tlsProbeOptions } from '../tls-options.ts';

interface DiagnoseFlags extends TlsFlags {
  kubeconfig?: string;
  context?: string;
  check?: boolean;
  probes: boolean;
  out?: string;
  agentImage: string;
  toolboxImage?: string;
  probeImage?: string;
  agentNamespace: string;
  nodeAccess: NodeAccessKind;
  inventory?: string;
  externalTarget?: string;
  externalName?: string;
  output: OutputFormat;
}

/** The `--node-access` choice and its flags, checked before anything runs. */
export function nodeAccessFrom(
  flags: Pick<
    DiagnoseFlags,
    'nodeAccess' | 'inventory' | 'agentImage' | 'toolboxImage' | 'probeImage' | 'agentNamespace'
  >,
): NodeAccess {
  switch (flags.nodeAccess) {
    case 'agent':
      return { kind: 'agent', image: agentImageOf(flags), namespace: flags.agentNamespace };
    case 'ssh':
      if (!flags.inventory)
        throw new NetdoctorError(
          'usage',
          '--node-access ssh needs --inventory FILE (an Ansible INI inventory)',
        );
      return { kind: 'ssh', inventory: flags.inventory };
    case 'local':
      return { kind: 'local' };
    case 'talos':
      return { kind: 'talos' };
    case 'none':
      return { kind: 'none' };
  }
}

/** The closing lines on stderr: root causes, where the bundle is, what to run next. */
export function closingSummary(report: Report, bundleDir: string, archive: string, color: boolean): string {
  const c = pc.createColors(color);
  const lines: string[] = [''];
  if (report.verdict === 'inconclusive') {
    lines.push(
      c.yellow(`verdict: inconclusive; no root cause found, but too little was seen to call it healthy:`),
    );
    for (const s of report.coverage.shortfalls) lines.push(`  - ${s}`);
  } else if (report.rootCauses.length === 0) {
    const paint = report.verdict === 'healthy' ? c.green : c.yellow;
    lines.push(paint(`verdict: ${report.verdict}; no root cause found`));
    for (const u of report.unexplained.slice(0, 5)) lines.push(`  unexplained: ${u.summary}`);
  } else {
    lines.push(c.bold(`verdict: ${report.verdict}; root cause(s):`));
    for (const rc of report.rootCauses) {
      lines.push(`  ${c.red('●')} ${rc.category} on ${rc.subject.kind}/${rc.subject.name}: ${rc.summary}`);
    }
  }
  if (report.gaps.length > 0)
    lines.push(
      c.dim(`${report.gaps.length} gap(s): parts that could not be collected are listed in the report`),
    );
  lines.push(`bundle: ${bundleDir}  (${archive})`);
  if (report.rootCauses.length > 0) lines.push(`next: netdoctor fix --dry-run --bundle ${bundleDir}`);
  else if (report.verdict !== 'healthy') lines.push(`next: read ${bundleDir}/DIAGNOSIS-REPORT.md`);
  return `${lines.join('\n')}\n`;
}

/** `netdoctor diagnose`: live collection, probes and analysis; writes a bundle with its reports. */
export function registerDiagnose(program: Command): void {
  const [imageOption, toolboxAlias, probeAlias] = agentImageOptions(DEFAULT_AGENT_IMAGE);
  const cmd = program
    .command('diagnose')
    .description('collect, probe and analyze a live cluster; write a bundle and reports (read-only)')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <name>', 'kubeconfig context')
    .option('--check', 'collect and probe, never change anything (diagnose is read-only either way)')
    .option('--no-probes', 'do not create probe pods')
    .option('--out <dir>', 'bundle directory (default ./netdoctor-<timestamp>)')
    .addOption(imageOption)
    .addOption(toolboxAlias)
    .addOption(probeAlias)
    .option('--agent-namespace <ns>', 'namespace for agent and probe pods', DEFAULT_AGENT_NAMESPACE)
    .addOption(
      new Option('--node-access <way>', 'how to read each node’s datapath')
        .choices(NODE_ACCESS_KINDS)
        .default('agent'),
    )
    .option('--inventory <file>', 'Ansible INI inventory for --node-access ssh')
    .option('--external-target <url>', 'external URL the egress probe fetches (none: skipped)')
    .option(
      '--external-name <name>',
      'external name the DNS probes resolve through cluster DNS (none: skipped)',
    )
    .addOption(outputOption());
  for (const o of tlsOptions()) cmd.addOption(o);
  cmd.action(async (flags: DiagnoseFlags) => {
    const access = nodeAccessFrom(flags);
    const tls = await tlsProbeOptions(flags);
    const outDir = outDirFromFlag(flags.out, () => bundleDirName(new Date()));
    await checkOutDir(outDir);
    const kc = loadKubeConfig({
      ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
      ...(flags.context ? { context: flags.context } : {}),
    });
    const port = new KubePort(kc);
    const progress = createProgress(process.stderr);
    try {
      const result = await runDiagnosis(port, {
        outDir,
        nodeAccess: access,
        probes: flags.probes,
        probeNamespace: flags.agentNamespace,
        probeImage: agentImageOf(flags),
        check: flags.check === true,
        ...(flags.externalTarget ? { externalTarget: flags.externalTarget } : {}),
        ...(flags.externalName ? { externalName: flags.externalName } : {}),
        ...tls,
        ...(port.target.context ? { context: port.target.context } : {}),
        progress,
      });
      progress.stop();
      process.stdout.write(render(result.report, flags.output, { color: shouldUseColor(process.stdout) }));
      process.stderr.write(
        closingSummary(result.report, result.bundleDir, result.archive, shouldUseColor(process.stderr)),
      );
      process.exitCode = exitCodeFor(result.report);
    } finally {
      progress.stop();
    }
  });
}
